"""Human tasks: listing, claiming, completing."""

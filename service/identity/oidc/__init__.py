"""OpenID Connect sign-in on the resource-server side: a trusted provider's JWT access token names a LIF user.

Modules, each depending only on those above it: ``urls`` (which provider addresses are acceptable), ``keys``
(discovery and the signing-key cache), ``trust`` (the trusted issuers: table rows and the environment's single
provider), ``validation`` (signature and registered claims), ``claims`` (claims -> who the user is),
``provisioning`` (the LIF user: found, linked or created just in time), ``signin`` (the whole path) and
``providers`` (the admin's use cases).
"""

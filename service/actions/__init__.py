"""Recommendations, themes, action plans and evidence: where a review's learning is proven."""

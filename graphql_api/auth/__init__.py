"""Who the caller is, and which credentials go to Partner Center on the caller's behalf."""

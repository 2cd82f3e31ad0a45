"""The machine door: the provider proxy and Vault-style reads, their service, usage counts and hot-path SQL."""

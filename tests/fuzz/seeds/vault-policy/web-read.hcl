# Vault policy for the web service (vault policy read web-read)
path "secret/data/prod/web/*" {
  capabilities = ["read", "list"]
}

path "secret/data/prod/admin/*" {
  capabilities = ["deny"]
}

/* database credentials */
path "database/creds/web" {
  capabilities = ["read"]
  allowed_parameters = {
    "ttl" = []
  }
}

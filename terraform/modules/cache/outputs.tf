output "address" {
  description = "host:port of the primary (wabot's limits.redis_url is rediss://:<token>@<address>)."
  value       = "${aws_elasticache_replication_group.main.primary_endpoint_address}:6379"
}

output "auth_token_secret_arn" {
  description = "Secrets Manager secret holding the AUTH token."
  value       = aws_secretsmanager_secret.auth_token.arn
}

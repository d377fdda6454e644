output "url" {
  description = "redis:// URL of the primary (wabot's limits.redis_url)."
  value       = "redis://${aws_elasticache_replication_group.main.primary_endpoint_address}:6379"
}

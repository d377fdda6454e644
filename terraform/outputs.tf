output "load_balancer_dns" {
  description = "Point the API's domain here (CNAME or alias), unless CloudFront is enabled."
  value       = module.load_balancer.dns_name
}

output "cloudfront_domain" {
  description = "CloudFront's domain, when enabled."
  value       = module.load_balancer.cloudfront_domain
}

output "public_url" {
  description = "The API's public URL (wabot's server.public_url)."
  value       = local.public_url
}

output "database_endpoint" {
  description = "PostgreSQL host:port."
  value       = module.database.endpoint
}

output "redis_address" {
  description = "Redis host:port (TLS, AUTH token in the cache module's secret)."
  value       = module.cache.address
}

output "media_bucket" {
  description = "S3 bucket of customers' files."
  value       = module.storage.media_bucket
}

output "wabot_autoscaling_group" {
  description = "Autoscaling group of the bot servers."
  value       = module.compute.wabot_autoscaling_group
}

output "waha_autoscaling_group" {
  description = "Autoscaling group of the WAHA instances."
  value       = module.compute.waha_autoscaling_group
}

output "operator_token_secret_arn" {
  description = "Secrets Manager secret holding the operator API token."
  value       = module.compute.operator_token_secret_arn
}

output "security_group_id" {
  description = "Security group of the load balancer."
  value       = aws_security_group.alb.id
}

output "target_group_arn" {
  description = "Target group of the bot servers."
  value       = aws_lb_target_group.wabot.arn
}

output "dns_name" {
  description = "DNS name of the load balancer (point the domain here, or at CloudFront)."
  value       = aws_lb.main.dns_name
}

output "cloudfront_domain" {
  description = "CloudFront domain, when enabled."
  value       = var.enable_cloudfront ? aws_cloudfront_distribution.main[0].domain_name : null
}

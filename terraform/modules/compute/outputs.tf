output "wabot_security_group_id" {
  description = "Security group of the bot servers (clients of PostgreSQL and Redis)."
  value       = aws_security_group.wabot.id
}

output "wabot_autoscaling_group" {
  description = "Autoscaling group of the bot servers."
  value       = aws_autoscaling_group.wabot.name
}

output "waha_autoscaling_group" {
  description = "Autoscaling group of the WAHA instances."
  value       = aws_autoscaling_group.waha.name
}

output "operator_token_secret_arn" {
  description = "Secrets Manager secret with the operator API token."
  value       = aws_secretsmanager_secret.operator_token.arn
}

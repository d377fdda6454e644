output "endpoint" {
  description = "host:port of PostgreSQL."
  value       = aws_db_instance.main.endpoint
}

output "database" {
  description = "Database name."
  value       = aws_db_instance.main.db_name
}

output "username" {
  description = "Master user name."
  value       = aws_db_instance.main.username
}

output "master_password_secret_arn" {
  description = "Secrets Manager secret holding the master password."
  value       = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.main.id
}

output "vpc_cidr" {
  description = "The VPC's CIDR block."
  value       = aws_vpc.main.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (load balancer)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (bot servers, WAHA)."
  value       = aws_subnet.private[*].id
}

output "data_subnet_ids" {
  description = "Data subnets (PostgreSQL, Redis)."
  value       = aws_subnet.data[*].id
}

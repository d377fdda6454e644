variable "name" {
  description = "Prefix of resource names."
  type        = string
}

variable "region" {
  description = "AWS region (for the instances' AWS CLI calls)."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the bot servers and WAHA instances."
  type        = list(string)
}

variable "load_balancer_security_group_id" {
  description = "Security group of the load balancer (the only client of the bot servers' port)."
  type        = string
}

variable "target_group_arn" {
  description = "Load balancer target group of the bot servers."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting volumes, secrets and log groups."
  type        = string
}

variable "public_url" {
  description = "Public base URL of the API (WAHA's webhooks go there)."
  type        = string
}

variable "database_endpoint" {
  description = "host:port of PostgreSQL."
  type        = string
}

variable "database_password_secret_arn" {
  description = "Secrets Manager secret with PostgreSQL's master password."
  type        = string
}

variable "redis_address" {
  description = "host:port of Redis (TLS) for the shared rate limits."
  type        = string
}

variable "redis_auth_token_secret_arn" {
  description = "Secrets Manager secret with Redis's AUTH token."
  type        = string
}

variable "media_bucket" {
  description = "S3 bucket of customers' files."
  type        = string
}

variable "media_bucket_arn" {
  description = "ARN of the media bucket."
  type        = string
}

variable "wabot_image" {
  description = "Container image of wabot."
  type        = string
}

variable "waha_image" {
  description = "Container image of WAHA."
  type        = string
}

variable "wabot_instance_type" {
  description = "Instance type of the bot servers."
  type        = string
}

variable "wabot_min_size" {
  description = "Fewest bot servers."
  type        = number
}

variable "wabot_max_size" {
  description = "Most bot servers."
  type        = number
}

variable "waha_instance_type" {
  description = "Instance type of the WAHA instances."
  type        = string
}

variable "waha_min_size" {
  description = "Fewest WAHA instances."
  type        = number
}

variable "waha_max_size" {
  description = "Most WAHA instances."
  type        = number
}

variable "waha_sessions_per_instance" {
  description = "WhatsApp sessions each WAHA instance takes (its capacity in wabot)."
  type        = number
  default     = 50
}

variable "saturation_target" {
  description = "Target of wabot_saturation_ratio for the bot servers' autoscaling."
  type        = number
}

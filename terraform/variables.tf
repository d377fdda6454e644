variable "region" {
  description = "AWS region of the stack."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment name, used in resource names (production, staging)."
  type        = string
  default     = "production"
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "availability_zones" {
  description = "Availability zones to spread subnets, instances and replicas over (at least two)."
  type        = list(string)
  default     = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
}

variable "domain_name" {
  description = "Public host name of the API (api.example.com)."
  type        = string
  default     = "api.wabot.example.com"
}

variable "certificate_arn" {
  description = "ACM certificate (same region) for the load balancer's HTTPS listener."
  type        = string
  default     = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"
}

variable "enable_cloudfront" {
  description = "Put CloudFront in front of the load balancer."
  type        = bool
  default     = false
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 for CloudFront (when enabled)."
  type        = string
  default     = ""
}

variable "wabot_image" {
  description = "Container image of wabot (built from the repository's Dockerfile)."
  type        = string
  default     = "ghcr.io/wabot/wabot:latest"
}

variable "waha_image" {
  description = "Container image of WAHA."
  type        = string
  default     = "devlikeapro/waha:latest"
}

variable "wabot_instance_type" {
  description = "EC2 instance type of the bot servers."
  type        = string
  default     = "c7g.large"
}

variable "wabot_min_size" {
  description = "Fewest bot servers."
  type        = number
  default     = 2
}

variable "wabot_max_size" {
  description = "Most bot servers."
  type        = number
  default     = 10
}

variable "waha_instance_type" {
  description = "EC2 instance type of the WAHA instances."
  type        = string
  default     = "m7g.large"
}

variable "waha_min_size" {
  description = "Fewest WAHA instances."
  type        = number
  default     = 2
}

variable "waha_max_size" {
  description = "Most WAHA instances."
  type        = number
  default     = 20
}

variable "saturation_target" {
  description = "Target of wabot_saturation_ratio (0 to 1) the bot servers scale on."
  type        = number
  default     = 0.6
}

variable "db_instance_class" {
  description = "RDS instance class of PostgreSQL."
  type        = string
  default     = "db.r7g.large"
}

variable "db_allocated_storage_gb" {
  description = "Initial storage of PostgreSQL, in GiB (grows automatically up to four times)."
  type        = number
  default     = 100
}

variable "db_backup_retention_days" {
  description = "Days of automated PostgreSQL backups (point-in-time recovery)."
  type        = number
  default     = 14
}

variable "cache_node_type" {
  description = "ElastiCache node type of Redis."
  type        = string
  default     = "cache.r7g.large"
}

variable "media_retention_days" {
  description = "Days customers' files (prescriptions) are kept before they expire."
  type        = number
  default     = 365
}

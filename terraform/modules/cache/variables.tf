variable "name" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Data subnets of the cache."
  type        = list(string)
}

variable "client_security_group_ids" {
  description = "Security groups allowed to connect (the bot servers)."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key encrypting the cache at rest and its log group."
  type        = string
}

variable "node_type" {
  description = "ElastiCache node type."
  type        = string
}

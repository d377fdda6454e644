variable "name" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones, one subnet of each tier in each."
  type        = list(string)
}

variable "kms_key_arn" {
  description = "KMS key encrypting the flow log group."
  type        = string
}

variable "name" {
  description = "Prefix of bucket names."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the buckets."
  type        = string
}

variable "media_retention_days" {
  description = "Days customers' files are kept."
  type        = number
}

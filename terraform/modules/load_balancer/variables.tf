variable "name" {
  description = "Prefix of resource names."
  type        = string
}

variable "vpc_id" {
  description = "The VPC."
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets of the load balancer."
  type        = list(string)
}

variable "certificate_arn" {
  description = "ACM certificate of the HTTPS listener."
  type        = string
}

variable "logs_bucket" {
  description = "Bucket receiving the access logs (under alb/)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the WAF log group."
  type        = string
}

variable "domain_name" {
  description = "Public host name (CloudFront alias)."
  type        = string
}

variable "enable_cloudfront" {
  description = "Put CloudFront in front of the load balancer."
  type        = bool
}

variable "cloudfront_certificate_arn" {
  description = "ACM certificate in us-east-1 for CloudFront."
  type        = string
}

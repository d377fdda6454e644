terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.60"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "wabot"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

# CloudFront certificates and WAF ACLs for CloudFront live in us-east-1.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = {
      Project     = "wabot"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

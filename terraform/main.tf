# wabot on AWS: the network, the bot servers and the WAHA fleet, PostgreSQL
# (RDS Multi-AZ), Redis (ElastiCache), S3 for customers' files, and a load
# balancer with WAF (optionally behind CloudFront). One KMS key encrypts
# everything that stores data.

locals {
  name       = "wabot-${var.environment}"
  public_url = "https://${var.domain_name}"
}

data "aws_caller_identity" "current" {}

# The key policy: the account administers the key through IAM (AWS's
# default key policy), and CloudWatch Logs may use it for the log groups.
data "aws_iam_policy_document" "kms" {
  # checkov:skip=CKV_AWS_109:In a key policy, Resource "*" is this key only; this is AWS's default key policy, which hands control to IAM.
  # checkov:skip=CKV_AWS_111:As above: "*" is the key itself.
  # checkov:skip=CKV_AWS_356:As above: "*" is the key itself.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid = "CloudWatchLogsEncrypt"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:DescribeKey",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "wabot ${var.environment}: databases, cache, files, secrets, logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.main.key_id
}

module "network" {
  source = "./modules/network"

  name               = local.name
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
  kms_key_arn        = aws_kms_key.main.arn
}

module "storage" {
  source = "./modules/storage"

  name                 = local.name
  kms_key_arn          = aws_kms_key.main.arn
  media_retention_days = var.media_retention_days
}

module "load_balancer" {
  source = "./modules/load_balancer"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.public_subnet_ids
  certificate_arn            = var.certificate_arn
  logs_bucket                = module.storage.logs_bucket
  kms_key_arn                = aws_kms_key.main.arn
  domain_name                = var.domain_name
  enable_cloudfront          = var.enable_cloudfront
  cloudfront_certificate_arn = var.cloudfront_certificate_arn
}

module "compute" {
  source = "./modules/compute"

  name                            = local.name
  region                          = var.region
  vpc_id                          = module.network.vpc_id
  subnet_ids                      = module.network.private_subnet_ids
  load_balancer_security_group_id = module.load_balancer.security_group_id
  target_group_arn                = module.load_balancer.target_group_arn
  kms_key_arn                     = aws_kms_key.main.arn
  public_url                      = local.public_url
  database_endpoint               = module.database.endpoint
  database_password_secret_arn    = module.database.master_password_secret_arn
  redis_address                   = module.cache.address
  redis_auth_token_secret_arn     = module.cache.auth_token_secret_arn
  media_bucket                    = module.storage.media_bucket
  media_bucket_arn                = module.storage.media_bucket_arn
  wabot_image                     = var.wabot_image
  waha_image                      = var.waha_image
  wabot_instance_type             = var.wabot_instance_type
  wabot_min_size                  = var.wabot_min_size
  wabot_max_size                  = var.wabot_max_size
  waha_instance_type              = var.waha_instance_type
  waha_min_size                   = var.waha_min_size
  waha_max_size                   = var.waha_max_size
  saturation_target               = var.saturation_target
}

module "database" {
  source = "./modules/database"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.data_subnet_ids
  client_security_group_ids = [module.compute.wabot_security_group_id]
  kms_key_arn               = aws_kms_key.main.arn
  instance_class            = var.db_instance_class
  allocated_storage_gb      = var.db_allocated_storage_gb
  backup_retention_days     = var.db_backup_retention_days
}

module "cache" {
  source = "./modules/cache"

  name                      = local.name
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.data_subnet_ids
  client_security_group_ids = [module.compute.wabot_security_group_id]
  kms_key_arn               = aws_kms_key.main.arn
  node_type                 = var.cache_node_type
}

# Redis on ElastiCache for the rate limits shared by every bot server
# (`limits.redis_url`): a primary and a replica in two zones with automatic
# failover, encrypted at rest and in transit (`rediss://`), behind an AUTH
# token, reachable from the bot servers only.

resource "aws_elasticache_subnet_group" "main" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "cache" {
  name        = "${var.name}-redis"
  description = "Redis: reachable from the bot servers only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "from_clients" {
  count                        = length(var.client_security_group_ids)
  security_group_id            = aws_security_group.cache.id
  referenced_security_group_id = var.client_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  description                  = "Redis from the bot servers"
}

resource "aws_cloudwatch_log_group" "slow_log" {
  name              = "/wabot/${var.name}/redis-slow-log"
  retention_in_days = 365
  kms_key_id        = var.kms_key_arn
}

resource "random_password" "auth_token" {
  length  = 48
  special = false
}

resource "aws_secretsmanager_secret" "auth_token" {
  # checkov:skip=CKV2_AWS_57:ElastiCache AUTH tokens rotate through the replication group (auth_token_update_strategy), not a Secrets Manager rotation function.
  name_prefix = "${var.name}-redis-auth-"
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "auth_token" {
  secret_id     = aws_secretsmanager_secret.auth_token.id
  secret_string = random_password.auth_token.result
}

resource "aws_elasticache_replication_group" "main" {
  # checkov:skip=CKV_AWS_191:Encrypted at rest with the stack's KMS key (kms_key_id); checkov does not see a module variable as a customer managed key.
  replication_group_id = var.name
  description          = "wabot shared rate limits"
  engine               = "redis"
  engine_version       = "7.1"
  node_type            = var.node_type
  num_cache_clusters   = 2
  port                 = 6379

  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.main.name
  security_group_ids         = [aws_security_group.cache.id]

  at_rest_encryption_enabled = true
  kms_key_id                 = var.kms_key_arn
  transit_encryption_enabled = true
  auth_token                 = random_password.auth_token.result

  snapshot_retention_limit   = 1
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}

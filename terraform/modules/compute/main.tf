# The bot servers and the WAHA fleet: one autoscaling group each, in the
# private subnets, from launch templates running the containers on Amazon
# Linux 2023. The bot servers scale on wabot_saturation_ratio, which the
# CloudWatch agent scrapes from /metrics; a WAHA instance registers itself
# with wabot's operator API when it boots.

data "aws_ssm_parameter" "al2023_arm64" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

# Secrets the instances read at boot.
resource "random_password" "operator_token" {
  length  = 48
  special = false
}

resource "random_password" "waha_api_key" {
  length  = 48
  special = false
}

# The key that seals webhook keys and WAHA API keys in the database
# (secrets.keys). To rotate: prepend a new id:key to the secret's value,
# roll the group (each node reseals at start), then drop the old key.
resource "random_id" "sealing_key" {
  byte_length = 32
}

resource "aws_secretsmanager_secret" "sealing_keys" {
  # checkov:skip=CKV2_AWS_57:Rotation is a two-step key list change (new key first, roll, drop the old), not a Lambda.
  name_prefix = "${var.name}-sealing-keys-"
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "sealing_keys" {
  secret_id     = aws_secretsmanager_secret.sealing_keys.id
  secret_string = "k1:${random_id.sealing_key.b64_std}"

  lifecycle {
    # Rotations edit the value by hand; Terraform must not undo them.
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "operator_token" {
  # checkov:skip=CKV2_AWS_57:A static bearer token; rotate it by tainting random_password.operator_token and rolling the groups.
  name_prefix = "${var.name}-operator-token-"
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "operator_token" {
  secret_id     = aws_secretsmanager_secret.operator_token.id
  secret_string = random_password.operator_token.result
}

resource "aws_secretsmanager_secret" "waha_api_key" {
  # checkov:skip=CKV2_AWS_57:A static API key shared by wabot and WAHA; rotate it by tainting random_password.waha_api_key and rolling the groups.
  name_prefix = "${var.name}-waha-api-key-"
  kms_key_id  = var.kms_key_arn
}

resource "aws_secretsmanager_secret_version" "waha_api_key" {
  secret_id     = aws_secretsmanager_secret.waha_api_key.id
  secret_string = random_password.waha_api_key.result
}

# Security groups: the load balancer reaches the bot servers, the bot
# servers reach WAHA, WAHA reaches the bot servers' webhook through the
# load balancer (the public URL).
resource "aws_security_group" "wabot" {
  name        = "${var.name}-wabot"
  description = "Bot servers"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "wabot_from_load_balancer" {
  security_group_id            = aws_security_group.wabot.id
  referenced_security_group_id = var.load_balancer_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 4000
  to_port                      = 4000
  description                  = "HTTP from the load balancer"
}

resource "aws_vpc_security_group_egress_rule" "wabot_https_out" {
  security_group_id = aws_security_group.wabot.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS to AWS APIs, the image registry and item pictures"
}

resource "aws_vpc_security_group_egress_rule" "wabot_to_vpc" {
  security_group_id = aws_security_group.wabot.id
  cidr_ipv4         = data.aws_vpc.main.cidr_block
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
  description       = "PostgreSQL, Redis and WAHA inside the VPC"
}

resource "aws_security_group" "waha" {
  name        = "${var.name}-waha"
  description = "WAHA instances"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "waha_from_wabot" {
  security_group_id            = aws_security_group.waha.id
  referenced_security_group_id = aws_security_group.wabot.id
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
  description                  = "WAHA API from the bot servers"
}

resource "aws_vpc_security_group_egress_rule" "waha_https_out" {
  security_group_id = aws_security_group.waha.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "WhatsApp, the webhook URL and AWS APIs"
}

resource "aws_vpc_security_group_egress_rule" "waha_whatsapp" {
  security_group_id = aws_security_group.waha.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 5222
  to_port           = 5222
  description       = "WhatsApp's XMPP port"
}

data "aws_vpc" "main" {
  id = var.vpc_id
}

# One instance role for both groups: SSM for shell access without SSH,
# the CloudWatch agent, the media bucket and the secrets above.
data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${var.name}-instance"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_role_policy_attachment" "cloudwatch_agent" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "MediaObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.media_bucket_arn}/*"]
  }
  statement {
    sid       = "MediaListing"
    actions   = ["s3:ListBucket"]
    resources = [var.media_bucket_arn]
  }
  statement {
    sid     = "Secrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.operator_token.arn,
      aws_secretsmanager_secret.waha_api_key.arn,
      aws_secretsmanager_secret.sealing_keys.arn,
      var.database_password_secret_arn,
      var.redis_auth_token_secret_arn,
    ]
  }
  statement {
    sid       = "StackKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "wabot-instance"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance.json
}

resource "aws_iam_instance_profile" "instance" {
  name = "${var.name}-instance"
  role = aws_iam_role.instance.name
}

locals {
  # The bot server: wabot in a container on the host network (so the
  # instance metadata service stays one hop away), and the CloudWatch agent
  # publishing wabot_saturation_ratio for the autoscaling policy.
  wabot_user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y docker amazon-cloudwatch-agent jq
    systemctl enable --now docker
    secret() { aws --region ${var.region} secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text; }
    db_password=$(secret ${var.database_password_secret_arn} | jq -r .password)
    redis_token=$(secret ${var.redis_auth_token_secret_arn})
    asg=$(aws --region ${var.region} autoscaling describe-auto-scaling-instances \
      --instance-ids "$(ec2-metadata --instance-id | cut -d' ' -f2)" \
      --query 'AutoScalingInstances[0].AutoScalingGroupName' --output text)
    cat > /opt/aws/amazon-cloudwatch-agent/etc/prometheus.yml <<'PROM'
    global: {scrape_interval: 30s}
    scrape_configs:
      - job_name: wabot
        static_configs: [{targets: ["127.0.0.1:4000"]}]
    PROM
    cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<JSON
    {"logs": {"metrics_collected": {"prometheus": {
      "prometheus_config_path": "/opt/aws/amazon-cloudwatch-agent/etc/prometheus.yml",
      "emf_processor": {"metric_namespace": "wabot", "metric_declaration": [
        {"source_labels": ["job"], "label_matcher": "^wabot$",
         "dimensions": [["AutoScalingGroupName"]],
         "metric_selectors": ["^wabot_saturation_ratio$"]}]}}},
      "force_flush_interval": 15},
     "metrics": {"append_dimensions": {"AutoScalingGroupName": "$asg"}}}
    JSON
    systemctl enable --now amazon-cloudwatch-agent
    docker run -d --restart unless-stopped --network host --name wabot \
      -e WABOT_SERVER__LISTEN=0.0.0.0:4000 \
      -e WABOT_SERVER__PUBLIC_URL=${var.public_url} \
      -e "WABOT_DATABASE__URL=postgres://wabot:$db_password@${var.database_endpoint}/wabot?sslmode=require" \
      -e "WABOT_LIMITS__REDIS_URL=rediss://:$redis_token@${var.redis_address}" \
      -e "WABOT_OPERATOR__TOKEN=$(secret ${aws_secretsmanager_secret.operator_token.arn})" \
      -e "WABOT_SECRETS__KEYS=$(secret ${aws_secretsmanager_secret.sealing_keys.arn})" \
      -e "WABOT_SERVER__CLIENT_ADDRESS_HEADER=X-Forwarded-For" \
      -e WABOT_MEDIA__S3__BUCKET=${var.media_bucket} \
      -e WABOT_MEDIA__S3__REGION=${var.region} \
      ${var.wabot_image} serve
  EOT

  # A WAHA instance: WAHA in a container, then registered with wabot so
  # new sessions are placed on it.
  waha_user_data = <<-EOT
    #!/bin/bash
    set -euo pipefail
    dnf install -y docker
    systemctl enable --now docker
    secret() { aws --region ${var.region} secretsmanager get-secret-value --secret-id "$1" --query SecretString --output text; }
    api_key=$(secret ${aws_secretsmanager_secret.waha_api_key.arn})
    address=$(ec2-metadata --local-ipv4 | cut -d' ' -f2)
    docker run -d --restart unless-stopped --network host --name waha \
      -e "WAHA_API_KEY=$api_key" -e WHATSAPP_DEFAULT_ENGINE=GOWS \
      -e "WAHA_BASE_URL=http://$address:3000" \
      ${var.waha_image}
    until curl -fsS "http://127.0.0.1:3000/ping" >/dev/null; do sleep 2; done
    curl -fsS -X POST "${var.public_url}/v1/operator/waha-instances" \
      -H "Authorization: Bearer $(secret ${aws_secretsmanager_secret.operator_token.arn})" \
      -H 'Content-Type: application/json' \
      -d "{\"name\": \"waha-$address\", \"base_url\": \"http://$address:3000\", \"api_key\": \"$api_key\", \"capacity\": ${var.waha_sessions_per_instance}}"
  EOT
}

locals {
  # What differs between a bot server and a WAHA instance.
  roles = {
    wabot = {
      instance_type   = var.wabot_instance_type
      user_data       = local.wabot_user_data
      volume_size_gib = 30
    }
    waha = {
      instance_type   = var.waha_instance_type
      user_data       = local.waha_user_data
      volume_size_gib = 50
    }
  }
}

resource "aws_launch_template" "node" {
  for_each               = local.roles
  name_prefix            = "${var.name}-${each.key}-"
  image_id               = data.aws_ssm_parameter.al2023_arm64.value
  instance_type          = each.value.instance_type
  update_default_version = true
  user_data              = base64encode(each.value.user_data)

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  network_interfaces {
    associate_public_ip_address = false
    security_groups             = [each.key == "wabot" ? aws_security_group.wabot.id : aws_security_group.waha.id]
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size           = each.value.volume_size_gib
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = var.kms_key_arn
      delete_on_termination = true
    }
  }
}

resource "aws_autoscaling_group" "wabot" {
  name                      = "${var.name}-wabot"
  min_size                  = var.wabot_min_size
  max_size                  = var.wabot_max_size
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = [var.target_group_arn]
  health_check_type         = "ELB"
  health_check_grace_period = 120
  default_instance_warmup   = 120

  launch_template {
    id      = aws_launch_template.node["wabot"].id
    version = "$Latest"
  }

  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 90
    }
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-wabot"
    propagate_at_launch = true
  }
}

# Keep every bot server's saturation near the target: in-flight messages
# and database connections in use, as wabot reports them.
resource "aws_autoscaling_policy" "wabot_saturation" {
  name                   = "${var.name}-wabot-saturation"
  autoscaling_group_name = aws_autoscaling_group.wabot.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = var.saturation_target

    customized_metric_specification {
      namespace   = "wabot"
      metric_name = "wabot_saturation_ratio"
      statistic   = "Average"

      metric_dimension {
        name  = "AutoScalingGroupName"
        value = aws_autoscaling_group.wabot.name
      }
    }
  }
}

resource "aws_autoscaling_group" "waha" {
  name                      = "${var.name}-waha"
  min_size                  = var.waha_min_size
  max_size                  = var.waha_max_size
  vpc_zone_identifier       = var.subnet_ids
  health_check_type         = "EC2"
  health_check_grace_period = 180

  launch_template {
    id      = aws_launch_template.node["waha"].id
    version = "$Latest"
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-waha"
    propagate_at_launch = true
  }
}

# WAHA sessions are sticky (a session lives on one instance), so the fleet
# grows when the instances run hot and is shrunk by hand after draining an
# instance in wabot (PATCH /v1/operator/waha-instances/{id} draining).
resource "aws_autoscaling_policy" "waha_cpu" {
  name                   = "${var.name}-waha-cpu"
  autoscaling_group_name = aws_autoscaling_group.waha.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value     = 60
    disable_scale_in = true

    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
  }
}

//! [`Driver`]: plays the operator (through wabot's operator API) and
//! customers (through the WAHA simulator) against a running wabot. The demo,
//! the integration tests and the load generator all drive wabot this way.

use crate::{Simulator, WebhookConfig, install_tls_provider};
use anyhow::{Context, bail};
use serde_json::{Value, json};

/// Default bound for waiting on a reply.
pub const REPLY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// A client of one running wabot.
pub struct Driver {
    http: reqwest::Client,
    server_url: String,
    token: String,
}

impl Driver {
    /// A driver for the server at `server_url` with the operator `token`.
    pub fn new(server_url: &str, token: &str) -> Self {
        install_tls_provider();
        Self {
            http: reqwest::Client::new(),
            server_url: server_url.to_owned(),
            token: token.to_owned(),
        }
    }

    /// The operator token it uses.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Sends an operator request and returns the JSON body of a 2xx answer.
    pub async fn operator(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.server_url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{method} {path} answered {status}: {body}");
        }
        Ok(body)
    }

    /// Registers the simulator as a WAHA instance.
    pub async fn register_instance(&self, name: &str, sim: &Simulator) -> anyhow::Result<Value> {
        let body = json!({"name": name, "base_url": sim.base_url(), "api_key": sim.api_key()});
        self.operator(
            reqwest::Method::POST,
            "/v1/operator/waha-instances",
            Some(&body),
        )
        .await
    }

    /// Creates a tenant.
    pub async fn create_tenant(&self, body: &Value) -> anyhow::Result<Value> {
        self.operator(reqwest::Method::POST, "/v1/operator/tenants", Some(body))
            .await
    }

    /// Replaces a tenant's menu.
    pub async fn put_menu(&self, tenant_id: &str, menu: &Value) -> anyhow::Result<Value> {
        let path = format!("/v1/operator/tenants/{tenant_id}/menu");
        self.operator(reqwest::Method::PUT, &path, Some(menu)).await
    }

    /// The tenant's orders, newest first.
    pub async fn orders(&self, tenant_id: &str) -> anyhow::Result<Vec<Value>> {
        let path = format!("/v1/operator/tenants/{tenant_id}/orders");
        let body = self.operator(reqwest::Method::GET, &path, None).await?;
        Ok(body["orders"].as_array().cloned().unwrap_or_default())
    }

    /// Moves an order to `status`.
    pub async fn set_order_status(
        &self,
        tenant_id: &str,
        order_id: &str,
        status: &str,
    ) -> anyhow::Result<Value> {
        let path = format!("/v1/operator/tenants/{tenant_id}/orders/{order_id}");
        self.operator(
            reqwest::Method::PATCH,
            &path,
            Some(&json!({"status": status})),
        )
        .await
    }

    /// Creates the session in the simulator with its webhook pointing at
    /// this server (signed with `secret`), and pairs the phone.
    pub async fn connect_session(
        &self,
        sim: &Simulator,
        session: &str,
        secret: &str,
        phone: &str,
    ) -> anyhow::Result<()> {
        let webhook = WebhookConfig::signed(
            format!("{}/webhooks/waha", self.server_url),
            &["message", "session.status"],
            secret,
        );
        sim.create_session(session, vec![webhook], None, true)?;
        sim.pair(session, phone, session, REPLY_TIMEOUT).await?;
        Ok(())
    }

    /// The customer writes `text`; returns the bot's reply once the customer
    /// has received `replies_so_far` text messages in all.
    pub async fn customer_says(
        &self,
        sim: &Simulator,
        session: &str,
        customer: &str,
        text: &str,
        replies_so_far: usize,
    ) -> anyhow::Result<String> {
        sim.inject_customer_message(session, customer, text)?;
        self.wait_for_reply(sim, customer, replies_so_far).await
    }

    /// Waits until `customer` has received `count` messages; returns the last.
    pub async fn wait_for_reply(
        &self,
        sim: &Simulator,
        customer: &str,
        count: usize,
    ) -> anyhow::Result<String> {
        self.wait_for_reply_within(sim, customer, count, REPLY_TIMEOUT)
            .await
    }

    /// [`Driver::wait_for_reply`] with its own time limit.
    pub async fn wait_for_reply_within(
        &self,
        sim: &Simulator,
        customer: &str,
        count: usize,
        timeout: std::time::Duration,
    ) -> anyhow::Result<String> {
        let chat_id = if customer.contains('@') {
            customer.to_owned()
        } else {
            format!("{customer}@c.us")
        };
        let sent = sim
            .wait_for_sent(
                |r| r.chat_id == chat_id && (r.kind == "text" || r.kind == "image"),
                count,
                timeout,
            )
            .await;
        if sent.len() < count {
            bail!(
                "expected {count} messages to {chat_id}, got {}: {sent:?}",
                sent.len()
            );
        }
        Ok(sent[count - 1].text.clone().unwrap_or_default())
    }
}

/// A sample restaurant menu: seven items in three categories.
pub fn sample_menu() -> Value {
    let item = |id: &str, name: &str, price: &str, category: &str, description: &str| json!({"item_id": id, "name": name, "price": price, "category": category, "description": description});
    json!({"items": [
        item("margherita", "Margherita", "10.50", "Pizzas", "Tomato, mozzarella, basil"),
        item("diavola", "Diavola", "12.00", "Pizzas", "Spicy salami, chilli"),
        item("quattro", "Quattro Formaggi", "13.50", "Pizzas", "Four cheeses"),
        item("carbonara", "Carbonara", "11.00", "Pasta", "Egg, pecorino, guanciale"),
        item("arrabbiata", "Arrabbiata", "9.50", "Pasta", "Tomato, garlic, chilli"),
        item("lemonade", "Lemonade", "3.00", "Drinks", "Fresh, homemade"),
        item("espresso", "Espresso", "2.20", "Drinks", ""),
    ]})
}

/// The ids of a restaurant set up by [`set_up_restaurant`].
pub struct Restaurant {
    /// Tenant id.
    pub tenant_id: String,
    /// Id of the WAHA instance (the simulator) it lives on.
    pub instance_id: String,
}

/// Sets up Luigi's Trattoria the way an operator would: registers the
/// simulator as a WAHA instance, creates the tenant with `session` and
/// `secret`, puts the sample menu, then creates and pairs the session in
/// the simulator with its webhook pointing at the server.
pub async fn set_up_restaurant(
    driver: &Driver,
    sim: &Simulator,
    session: &str,
    secret: &str,
) -> anyhow::Result<Restaurant> {
    let instance = driver.register_instance("waha-1", sim).await?;
    let instance_id = instance["id"].as_str().context("instance id")?.to_owned();
    let tenant = driver
        .create_tenant(&json!({
            "business_name": "Luigi's Trattoria",
            "phone_number": "+1 555 000 1111",
            "plugin_type": "restaurant",
            "session_name": session,
            "webhook_secret": secret,
            "waha_instance_id": instance_id,
            "currency_symbol": "$",
        }))
        .await?;
    let tenant_id = tenant["id"].as_str().context("tenant id")?.to_owned();
    driver.put_menu(&tenant_id, &sample_menu()).await?;
    driver
        .connect_session(sim, session, secret, "15550001111")
        .await?;
    Ok(Restaurant {
        tenant_id,
        instance_id,
    })
}

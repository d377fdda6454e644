//! A platform with no tenant yet: a server and a simulator registered as
//! its only WAHA instance. Tests sign businesses up through the REST API.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use wabot::Settings;
use waha_sim::driver::Driver;
use waha_sim::{SessionStatus, Simulator};

use crate::helpers::{Backend, Server, Stack, eventually};

/// A server and a simulator registered as its only WAHA instance, with no
/// tenant yet.
pub struct Platform {
    pub server: Server,
    pub sim: Simulator,
    pub driver: Driver,
}

impl Platform {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    /// A platform whose settings `tune` adjusts.
    pub async fn start_with(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Self {
        let Stack {
            sim,
            server,
            driver,
            ..
        } = Stack::start(backend, tune).await;
        driver.register_instance("waha-1", &sim).await.unwrap();
        Self {
            server,
            sim,
            driver,
        }
    }

    /// A platform around a running `server`, with an idle simulator that
    /// is not registered (the caller registered its own instances).
    pub async fn on(server: Server, driver: Driver) -> Self {
        let sim = Simulator::start(waha_sim::SimulatorConfig::fast())
            .await
            .unwrap();
        Self {
            server,
            sim,
            driver,
        }
    }

    /// Calls the API with `token` (if any); returns status and JSON body.
    pub async fn call(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request =
            reqwest::Client::new().request(method, format!("{}{path}", self.server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Signs a restaurant up; returns its owner's API key and tenant.
    pub async fn sign_up(&self, email: &str, phone: &str) -> (String, Value) {
        self.sign_up_as(email, phone, "restaurant").await
    }

    /// Signs a business of `business_type` up; returns its owner's API key
    /// and tenant.
    pub async fn sign_up_as(
        &self,
        email: &str,
        phone: &str,
        business_type: &str,
    ) -> (String, Value) {
        let (status, body) = self
            .call(
                None,
                Method::POST,
                "/v1/signup",
                Some(json!({
                    "email": email, "password": "correct horse battery",
                    "business_name": "Rosa's Pizzeria", "business_type": business_type,
                    "phone_number": phone,
                })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["api_key"].as_str().unwrap().to_owned(),
            body["tenant"].clone(),
        )
    }

    /// Imports `csv` as the caller's menu.
    pub async fn import_csv(&self, token: &str, csv: &str, mode: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/menu/import?mode={mode}", self.server.url))
            .bearer_auth(token)
            .header("Content-Type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Signs a restaurant up and takes it live: session started, QR
    /// scanned, [`MENU_CSV`] imported. Returns the owner's API key, the
    /// session name and the tenant id.
    pub async fn live_tenant(&self, email: &str, phone: &str) -> (String, String, String) {
        self.live_business(email, phone, "restaurant", MENU_CSV)
            .await
    }

    /// [`Platform::live_tenant`] for a business of `business_type` selling
    /// the items of `csv`.
    pub async fn live_business(
        &self,
        email: &str,
        phone: &str,
        business_type: &str,
        csv: &str,
    ) -> (String, String, String) {
        let (key, tenant) = self.sign_up_as(email, phone, business_type).await;
        let (status, session) = self
            .call(Some(&key), Method::POST, "/v1/whatsapp/session", None)
            .await;
        assert_eq!(status, 200, "{session}");
        let name = session["name"].as_str().unwrap().to_owned();
        self.sim
            .wait_for_status(&name, SessionStatus::ScanQrCode, Duration::from_secs(5))
            .await;
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        self.sim.scan(&name, &digits, "Owner").unwrap();
        self.wait_for_session_status(&key, "WORKING").await;
        let (status, imported) = self.import_csv(&key, csv, "merge").await;
        assert_eq!(status, 200, "{imported}");
        let tenant_id = tenant["id"].as_str().unwrap().to_owned();
        (key, name, tenant_id)
    }

    /// Waits until wabot accepted the customer message `message_id` (if
    /// given) and every stored customer message has been handled.
    pub async fn wait_until_handled(&self, message_id: Option<&str>) {
        eventually(
            "every customer message is handled",
            Duration::from_secs(4),
            || async {
                let accepted = message_id.is_none_or(|id| {
                    self.sim
                        .deliveries()
                        .iter()
                        .any(|d| d.payload_id.as_deref() == Some(id) && d.status == Some(200))
                });
                (accepted && self.server.store.unprocessed().await.unwrap().is_empty())
                    .then_some(())
            },
        )
        .await;
    }

    /// Polls `/v1/me` until the session status is `status`.
    pub async fn wait_for_session_status(&self, token: &str, status: &str) {
        eventually(
            &format!("the session reports {status}"),
            Duration::from_secs(5),
            || async {
                let (_, me) = self.call(Some(token), Method::GET, "/v1/me", None).await;
                (me["tenant"]["session_status"] == status).then_some(())
            },
        )
        .await;
    }
}

pub const MENU_CSV: &str = "item_id,name,description,price,category,available,image_url
margherita,Margherita,Tomato and mozzarella,9.50,Pizzas,true,
diavola,Diavola,Spicy salami,11.00,Pizzas,yes,
tiramisu,Tiramisu,,5.00,Desserts,,
";

//! The test harness, the one way tests start wabot: one fresh database per
//! test, a WAHA simulator, and a server on them ([`Stack`]); with one
//! restaurant already live through the operator API ([`TestApp`]), or with
//! no tenant yet, for tests that sign businesses up through the REST API
//! ([`Platform`]). [`eventually`] is how tests wait.

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;
use wabot::config::Secret;
use wabot::storage::Store;
use wabot::{App, Settings};
use waha_sim::driver::Driver;
use waha_sim::driver::set_up_restaurant;
use waha_sim::{SessionStatus, Simulator, SimulatorConfig};

/// Where a test's data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an `async fn(Backend)` scenario once per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($scenario:ident) => {
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$scenario($crate::harness::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$scenario($crate::harness::Backend::Postgres).await
            }
        }
    };
}

pub const OPERATOR_TOKEN: &str = "test-operator-token-0123456789";
pub const SESSION: &str = "luigis";
pub const SECRET: &str = "test-webhook-secret-0123456789";
/// The key that seals secrets at rest in the tests' servers (`secrets.keys`).
pub const SEALING_KEYS: &str = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The PostgreSQL server the tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The Redis the tests share (each under its own key prefix). It must be
/// running: ./scripts/test.sh starts it.
pub fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A fresh database URL for `backend`. PostgreSQL must be running: a test
/// never skips silently (./scripts/test.sh starts it).
pub async fn fresh_database(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => {
            let path =
                std::env::temp_dir().join(format!("wabot-test-{}.db", Uuid::new_v4().simple()));
            format!("sqlite://{}", path.display())
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is required at {admin} (set TEST_POSTGRES_URL, or run ./scripts/test.sh): {e}")
            });
            let name = format!("wabot_test_{}", Uuid::new_v4().simple());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut connection)
                .await
                .expect("create the test database");
            let (base, _) = admin.rsplit_once('/').expect("the URL names a database");
            format!("{base}/{name}")
        }
    }
}

/// Settings for a test server on `database_url`.
pub fn test_settings(database_url: &str) -> Settings {
    let mut settings = Settings::default();
    settings.server.listen = "127.0.0.1:0".parse().unwrap();
    settings.server.max_body_bytes = 64 * 1024;
    settings.server.shutdown_grace_secs = 5;
    settings.database.url = database_url.to_owned();
    settings.media.dir =
        std::env::temp_dir().join(format!("wabot-test-media-{}", Uuid::new_v4().simple()));
    settings.operator.token = Some(Secret::new(OPERATOR_TOKEN));
    settings.secrets.keys = Some(Secret::new(SEALING_KEYS));
    settings.waha.typing_ms_per_char = 0;
    settings.waha.backoff_base_ms = 10;
    settings.waha.backoff_max_ms = 50;
    settings
}

/// A running server.
pub struct Server {
    pub url: String,
    pub store: std::sync::Arc<dyn Store>,
    pub runtime: std::sync::Arc<wabot_actors::Runtime>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Server {
    pub async fn start(settings: Settings) -> Self {
        let app = App::build(settings).await.expect("the server builds");
        let url = format!("http://{}", app.address());
        let store = app.store();
        let runtime = app.runtime();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Self {
            url,
            store,
            runtime,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Graceful stop: HTTP, then the actor tree.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
    }
}

/// A fresh database, a simulator and a server on that database (settings
/// adjusted by `tune`), with an operator driver. Nothing registered yet.
pub struct Stack {
    pub database_url: String,
    pub sim: Simulator,
    pub server: Server,
    pub driver: Driver,
}

impl Stack {
    pub async fn start(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Self {
        let database_url = fresh_database(backend).await;
        let sim = Simulator::start(SimulatorConfig::fast()).await.unwrap();
        let mut settings = test_settings(&database_url);
        tune(&mut settings);
        let server = Server::start(settings).await;
        let driver = Driver::new(&server.url, OPERATOR_TOKEN);
        Self {
            database_url,
            sim,
            server,
            driver,
        }
    }
}

/// A server with a WAHA simulator and one restaurant tenant whose session is
/// paired and whose webhooks point at the server.
pub struct TestApp {
    pub backend: Backend,
    pub database_url: String,
    pub sim: Simulator,
    pub server: Server,
    pub driver: Driver,
    pub tenant_id: String,
    pub instance_id: String,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// A test app whose settings `tune` adjusts.
    pub async fn spawn_with(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Self {
        let Stack {
            database_url,
            sim,
            server,
            driver,
        } = Stack::start(backend, tune).await;
        let shop = set_up_restaurant(&driver, &sim, SESSION, SECRET)
            .await
            .unwrap();
        let (tenant_id, instance_id) = (shop.tenant_id, shop.instance_id);
        Self {
            backend,
            database_url,
            sim,
            server,
            driver,
            tenant_id,
            instance_id,
        }
    }

    pub fn tenant_uuid(&self) -> Uuid {
        self.tenant_id.parse().unwrap()
    }

    /// The customer writes; returns the reply once they have `total` in all.
    pub async fn say(&self, customer: &str, text: &str, total: usize) -> String {
        self.driver
            .customer_says(&self.sim, SESSION, customer, text, total)
            .await
            .unwrap()
    }

    /// Waits until every stored customer message is handled.
    pub async fn wait_until_handled(&self) {
        eventually(
            "every stored customer message is handled",
            Duration::from_secs(10),
            || async {
                self.server
                    .store
                    .unprocessed()
                    .await
                    .unwrap()
                    .is_empty()
                    .then_some(())
            },
        )
        .await;
    }

    /// Texts (and captions) the simulator was asked to send to `customer`.
    pub fn sent_to(&self, customer: &str) -> Vec<String> {
        self.sim
            .sent()
            .into_iter()
            .filter(|r| r.chat_id == customer && (r.kind == "text" || r.kind == "image"))
            .filter_map(|r| r.text)
            .collect()
    }

    /// POSTs raw bytes to the webhook with the given headers.
    pub async fn post_webhook(&self, body: Vec<u8>, headers: &[(&str, String)]) -> (u16, Value) {
        let mut request = reqwest::Client::new()
            .post(format!("{}/webhooks/waha", self.server.url))
            .header("Content-Type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Replaces the server by a new one on the same database (a restart).
    pub async fn restart(self) -> Self {
        self.restart_with(|_| {}).await
    }

    /// [`TestApp::restart`] with settings that `tune` adjusts.
    pub async fn restart_with(self, tune: impl FnOnce(&mut Settings)) -> Self {
        let TestApp {
            backend,
            database_url,
            sim,
            server,
            driver,
            tenant_id,
            instance_id,
        } = self;
        server.stop().await;
        let mut settings = test_settings(&database_url);
        tune(&mut settings);
        let server = Server::start(settings).await;
        // The simulator keeps calling the old address; point its webhook at the new one.
        drop(driver);
        let driver = Driver::new(&server.url, OPERATOR_TOKEN);
        let webhook = waha_sim::WebhookConfig::signed(
            format!("{}/webhooks/waha", server.url),
            &["message", "session.status"],
            SECRET,
        );
        // (A PUT restarts a running session; its stored auth brings it back.)
        sim.set_webhooks(SESSION, vec![webhook], Duration::from_secs(10))
            .await
            .unwrap();
        Self {
            backend,
            database_url,
            sim,
            server,
            driver,
            tenant_id,
            instance_id,
        }
    }
}

/// A signed `message` event as WAHA would send it for `session`.
pub fn signed_message_event(
    session: &str,
    from: &str,
    body: &str,
    from_me: bool,
) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let event = json!({
        "id": format!("evt_{}", Uuid::new_v4().simple()),
        "timestamp": chrono::Utc::now().timestamp_millis(),
        "event": "message",
        "session": session,
        "metadata": null,
        "me": {"id": "15550001111@c.us", "pushName": "Luigi's"},
        "payload": {
            "id": format!("false_{from}_3EB0{}", Uuid::new_v4().simple()),
            "timestamp": chrono::Utc::now().timestamp(),
            "from": from, "fromMe": from_me, "source": "app", "body": body,
            "hasMedia": false, "media": null, "ack": 2, "ackName": "DEVICE",
        },
        "engine": "GOWS",
        "environment": {"version": "2026.7.1", "engine": "GOWS", "tier": "CORE"},
    });
    let bytes = serde_json::to_vec(&event).unwrap();
    let headers = vec![
        ("X-Webhook-Hmac", waha_sim::sign(SECRET, &bytes)),
        ("X-Webhook-Hmac-Algorithm", "sha512".to_owned()),
    ];
    (bytes, headers)
}

/// Polls `probe` every 20 ms until it yields a value, and returns it;
/// fails the test, naming `what`, if nothing came within `within`. The one
/// way the tests wait for something to happen.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not within {within:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `code` of an API error body.
pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

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

    /// `GET /v1/me`.
    pub async fn me(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/me", None).await
    }

    /// `GET /v1/menu/items`.
    pub async fn menu_items(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/menu/items", None).await
    }

    /// `GET /v1/api-keys`.
    pub async fn api_keys(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/api-keys", None).await
    }

    /// `POST /v1/whatsapp/session`: place and start the session.
    pub async fn start_session(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::POST, "/v1/whatsapp/session", None)
            .await
    }

    /// `GET /v1/whatsapp/session`.
    pub async fn session(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/whatsapp/session", None)
            .await
    }

    /// `POST /v1/signup` with `body`, as sent.
    pub async fn sign_up_request(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(token, Method::POST, "/v1/signup", Some(body))
            .await
    }

    /// `POST /v1/menu/items`: adds `item`.
    pub async fn add_item(&self, token: Option<&str>, item: Value) -> (u16, Value) {
        self.call(token, Method::POST, "/v1/menu/items", Some(item))
            .await
    }

    /// `POST /v1/api-keys`: creates the key `body` describes.
    pub async fn create_api_key(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(token, Method::POST, "/v1/api-keys", Some(body))
            .await
    }

    /// `GET /v1/audit-log`.
    pub async fn audit_log(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/audit-log", None).await
    }

    /// `GET /v1/orders`: the newest orders.
    pub async fn orders(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/orders", None).await
    }

    /// `GET /v1/settings`: the bot settings.
    pub async fn settings(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/settings", None).await
    }

    /// `GET /v1/flow`: the uploaded flow.
    pub async fn flow(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/flow", None).await
    }

    /// `GET /v1/users`: the team.
    pub async fn users(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/users", None).await
    }

    /// `GET /v1/events`: the event feed.
    pub async fn events(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/events", None).await
    }

    /// `GET /v1/usage`: this month's usage.
    pub async fn usage(&self, token: Option<&str>) -> (u16, Value) {
        self.call(token, Method::GET, "/v1/usage", None).await
    }

    /// `PUT /v1/settings`: replaces the bot settings with `body`.
    pub async fn put_settings(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(token, Method::PUT, "/v1/settings", Some(body))
            .await
    }

    /// `PUT /v1/flow`: uploads the flow `body`.
    pub async fn put_flow(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(token, Method::PUT, "/v1/flow", Some(body)).await
    }

    /// `POST /v1/users`: adds the user `body` describes.
    pub async fn add_user(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(token, Method::POST, "/v1/users", Some(body))
            .await
    }

    /// `POST /v1/login`: with `body`, as sent.
    pub async fn log_in_request(&self, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(token, Method::POST, "/v1/login", Some(body))
            .await
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
            .sign_up_request(
                None,
                json!({
                    "email": email, "password": "correct horse battery",
                    "business_name": "Rosa's Pizzeria", "business_type": business_type,
                    "phone_number": phone,
                }),
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
        let (status, session) = self.start_session(Some(&key)).await;
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
                let (_, me) = self.me(Some(token)).await;
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

/// `wabot serve` as a child process on a fixed port.
pub struct ChildServer {
    child: tokio::process::Child,
    /// Its log (info and above), printed if the test fails while it runs.
    log: std::path::PathBuf,
}

/// Lines of a child server's log shown when a test fails.
const CHILD_LOG_TAIL: usize = 80;

impl ChildServer {
    /// Starts it on `database_url` at `port`, with the fault tests'
    /// settings.
    pub async fn start(database_url: &str, port: u16) -> Self {
        Self::start_with(database_url, port, &[]).await
    }

    /// [`ChildServer::start`] with more `WABOT_*` variables.
    pub async fn start_with(database_url: &str, port: u16, env: &[(&str, &str)]) -> Self {
        waha_sim::install_tls_provider();
        let log = std::env::temp_dir().join(format!(
            "wabot-test-child-{port}-{}.log",
            Uuid::new_v4().simple()
        ));
        let log_file = std::fs::File::create(&log).expect("create the child's log file");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_wabot"))
            .arg("serve")
            .envs(env.iter().copied())
            .env("WABOT_SERVER__LISTEN", format!("127.0.0.1:{port}"))
            .env("WABOT_DATABASE__URL", database_url)
            .env("WABOT_OPERATOR__TOKEN", OPERATOR_TOKEN)
            .env("WABOT_SECRETS__KEYS", SEALING_KEYS)
            .env("WABOT_WAHA__TYPING_MS_PER_CHAR", "0")
            .env("WABOT_WAHA__BACKOFF_BASE_MS", "20")
            .env("WABOT_WAHA__BACKOFF_MAX_MS", "200")
            .env("WABOT_WAHA__BREAKER_COOLDOWN_SECS", "1")
            .env("WABOT_LOG__LEVEL", "info")
            .stdout(log_file)
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start the wabot binary");
        let health = format!("http://127.0.0.1:{port}/healthz");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "the server did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { child, log }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// SIGKILL: no shutdown code runs.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reap the child");
    }

    /// SIGTERM: the graceful path (stop HTTP, drain actors).
    pub async fn terminate(mut self) {
        let pid = self.child.id().expect("running").to_string();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let exit = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        assert!(
            exit.expect("stops within the grace period")
                .expect("exit status")
                .success()
        );
    }
}

impl Drop for ChildServer {
    /// Removes its log; if the test is failing, prints the log's end first,
    /// so a failure in CI says what the server saw.
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Ok(text) = std::fs::read_to_string(&self.log)
        {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(CHILD_LOG_TAIL)..];
            eprintln!(
                "--- last {} lines of the wabot child's log ---\n{}",
                tail.len(),
                tail.join("\n")
            );
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

//! Hand-made attacks, as an attacker would try them: each asserts the
//! status the server answers and that nothing changed.

use std::sync::Arc;

use reqwest::Method;
use serde_json::json;
use tokio::sync::Semaphore;
use waha_sim::CustomerMedia;

use wabot::storage::models::{NewApiKey, Role};

use crate::harness::{
    Backend, ChildServer, Platform, SEALING_KEYS, SECRET, SESSION, Stack, TestApp, error_code,
    free_port, fresh_database, signed_message_event,
};
use crate::on_both_backends;

/// The resident memory of process `pid`, in bytes, from `/proc`.
fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("Linux /proc");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kib * 1024
}

/// 200 logins to unknown emails, 32 at a time; the statuses answered.
async fn login_flood(server_url: &str) -> Vec<u16> {
    let client = reqwest::Client::new();
    let at_once = Arc::new(Semaphore::new(32));
    let tasks: Vec<_> = (0..200)
        .map(|n| {
            let (client, at_once) = (client.clone(), at_once.clone());
            let url = format!("{server_url}/v1/login");
            tokio::spawn(async move {
                let _turn = at_once.acquire().await.unwrap();
                let body = json!({"email": format!("nobody{n}@example.com"), "password": "guess guess guess"});
                client.post(url).json(&body).send().await.unwrap().status().as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

const MIB: u64 = 1024 * 1024;

/// A request an attack expects refused: answered `status` in the API's
/// JSON error shape, its message naming each of `mentions`.
struct Refused<'a> {
    token: Option<&'a str>,
    method: Method,
    path: &'a str,
    body: Option<serde_json::Value>,
    status: u16,
    mentions: Vec<&'a str>,
}

/// A restaurant's signup body with `email` and `business_name`.
fn signup_named(email: &str, business_name: &str) -> serde_json::Value {
    json!({"email": email, "password": "correct horse battery", "business_name": business_name,
        "business_type": "restaurant", "phone_number": "15550004444"})
}

/// Sends each case and checks it was refused as expected.
async fn assert_refused(platform: &Platform, cases: Vec<Refused<'_>>) {
    for case in cases {
        let what = format!("{} {}", case.method, case.path);
        let (status, answer) = platform
            .call(case.token, case.method, case.path, case.body)
            .await;
        assert_eq!(status, case.status, "{what}: {answer}");
        assert!(!error_code(&answer).is_empty(), "{what}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty() && case.mentions.iter().all(|m| message.contains(m)),
            "{what}: {message}"
        );
    }
}

/// The `wabot` binary on a fresh SQLite database, with `env` set: the RSS
/// measured is the server's alone, whatever else this test process runs.
async fn flooded_server(env: &[(&str, &str)]) -> (ChildServer, String) {
    let database = fresh_database(Backend::Sqlite).await;
    let media = std::env::temp_dir().join(format!(
        "wabot-test-media-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let media = media.display().to_string();
    let mut env = env.to_vec();
    env.push(("WABOT_MEDIA__DIR", &media));
    let port = free_port();
    let server = ChildServer::start_with(&database, port, &env).await;
    (server, format!("http://127.0.0.1:{port}"))
}

/// Finding 1: with the default limits, a login flood from one address is
/// answered 429 past the address's budget, and the server's memory stays
/// within 50 MB of where it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_flood_is_refused_past_its_budget_and_memory_stays_flat() {
    let (server, url) = flooded_server(&[]).await;
    let before = resident_bytes(server.pid());
    let statuses = login_flood(&url).await;
    let grown = resident_bytes(server.pid()).saturating_sub(before);
    let wrong = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| [429, 503].contains(*s)).count();
    assert_eq!(wrong + refused, 200, "only 401, 429 or 503: {statuses:?}");
    assert!(
        wrong <= 20,
        "at most the address's 20 a minute are checked: {wrong}"
    );
    assert!(grown < 50 * MIB, "RSS grew by {} MiB", grown / MIB);
    server.kill().await;
}

/// Finding 1: even with the rate limits lifted, at most a few passwords are
/// hashed at once; the excess is answered 503 with `Retry-After`, memory
/// stays bounded, and a second flood adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_hashing_is_bounded_when_the_limits_are_lifted() {
    let (server, url) = flooded_server(&[
        ("WABOT_LIMITS__LOGIN_PER_ADDRESS_PER_MINUTE", "100000"),
        ("WABOT_LIMITS__LOGIN_PER_ACCOUNT_PER_MINUTE", "100000"),
        ("WABOT_PASSWORDS__HASHING_QUEUE", "4"),
    ])
    .await;
    let before = resident_bytes(server.pid());
    let statuses = login_flood(&url).await;
    let after_one = resident_bytes(server.pid());
    assert!(
        statuses.iter().all(|s| [401, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&503),
        "the queue overflowed: {statuses:?}"
    );
    let statuses = login_flood(&url).await;
    let after_two = resident_bytes(server.pid());
    assert!(
        statuses.contains(&401),
        "served again after the first flood"
    );
    let grown = after_two.saturating_sub(before);
    assert!(grown < 50 * MIB, "RSS grew by {} MiB", grown / MIB);
    assert!(
        after_two.saturating_sub(after_one) < 10 * MIB,
        "the second flood grew RSS by {} MiB",
        after_two.saturating_sub(after_one) / MIB
    );
    server.kill().await;
}

/// Finding 1: wrong passwords for one account are slowed down wherever they
/// come from, and signups from one address are throttled.
async fn guessing_a_password_and_mass_signups_are_throttled(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (_, _) = platform.sign_up("ann@example.com", "15550003333").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (status, body) = platform
            .log_in_request(
                None,
                json!({"email": "ann@example.com", "password": "wrong password!"}),
            )
            .await;
        statuses.push((status, error_code(&body).to_owned()));
    }
    assert!(statuses[..5].iter().all(|(s, _)| *s == 401), "{statuses:?}");
    assert!(
        statuses[5..]
            .iter()
            .all(|(s, code)| *s == 429 && code == "too_many_requests"),
        "{statuses:?}"
    );
    let (status, _) = platform
        .log_in_request(
            None,
            json!({"email": "ann@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(
        status, 429,
        "locked even for the right password, for a while"
    );

    let mut signups = Vec::new();
    for n in 0..6 {
        let (status, _) = platform
            .sign_up_request(
                None,
                json!({"email": format!("shop{n}@example.com"), "password": "correct horse battery",
                    "business_name": "Shop", "business_type": "restaurant",
                    "phone_number": format!("1555000{n:04}")}),
            )
            .await;
        signups.push(status);
    }
    // One signup was spent above; four more pass, then 429.
    assert_eq!(signups, [201, 201, 201, 201, 429, 429]);
    let filter = wabot::storage::models::TenantFilter {
        limit: 100,
        ..Default::default()
    };
    let tenants = platform.server.store.list_tenants(&filter).await.unwrap();
    assert_eq!(tenants.len(), 5, "the refused signups created nothing");
}
on_both_backends!(guessing_a_password_and_mass_signups_are_throttled);

/// Finding 5: two tenants' keys that show the same prefix have separate
/// rate-limit budgets, so one tenant cannot throttle another.
async fn keys_with_the_same_prefix_do_not_share_a_budget(backend: Backend) {
    let platform = Platform::start_with(backend, |settings| {
        settings.limits.admin_per_credential_per_minute = 3;
    })
    .await;
    let mut keys = Vec::new();
    for (email, phone) in [
        ("a@example.com", "15550001001"),
        ("b@example.com", "15550001002"),
    ] {
        let (_, tenant) = platform.sign_up(email, phone).await;
        let key = wabot::auth::new_secret(wabot::auth::API_KEY_PREFIX);
        let stored = NewApiKey {
            name: "colliding".to_owned(),
            prefix: "wbk_same".to_owned(),
            key_hash: wabot::auth::digest(&key),
            role: Role::Owner,
        };
        let tenant_id = tenant["id"].as_str().unwrap().parse().unwrap();
        platform
            .server
            .store
            .create_api_key(tenant_id, &stored)
            .await
            .unwrap();
        keys.push(key);
    }
    for _ in 0..3 {
        let (status, _) = platform.me(Some(&keys[0])).await;
        assert_eq!(status, 200);
    }
    let (status, _) = platform.me(Some(&keys[0])).await;
    assert_eq!(status, 429, "the first key spent its budget");
    let (status, body) = platform.me(Some(&keys[1])).await;
    assert_eq!(
        status, 200,
        "the other tenant's key is not throttled: {body}"
    );
    let (_, created) = platform
        .create_api_key(Some(&keys[1]), json!({"name": "ci"}))
        .await;
    assert_eq!(
        created["api_key"]["prefix"].as_str().unwrap().len(),
        12,
        "listings show 8 random characters after wbk_: {created}"
    );
}
on_both_backends!(keys_with_the_same_prefix_do_not_share_a_budget);

/// Finding 2: a NUL character in one customer's webhook is refused (422
/// naming the field) and fails nobody else's message in the same batch.
async fn a_nul_byte_in_one_webhook_fails_no_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let events: Vec<_> = (0..12)
        .map(|n| {
            let customer = format!("1555123{n:04}@c.us");
            let text = if n % 3 == 0 { "menu\u{0}" } else { "menu" };
            (n, signed_message_event(SESSION, &customer, text, false))
        })
        .collect();
    // All at once, so the good and the bad share inbox batches.
    let url = format!("{}/webhooks/waha", app.server.url);
    let posts: Vec<_> = events
        .into_iter()
        .map(|(n, (body, headers))| {
            let mut request = reqwest::Client::new()
                .post(&url)
                .header("Content-Type", "application/json")
                .body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (
                    n,
                    (status, response.json::<serde_json::Value>().await.unwrap()),
                )
            })
        })
        .collect();
    let mut answers = Vec::new();
    for post in posts {
        answers.push(post.await.unwrap());
    }
    for (n, (status, answer)) in &answers {
        if n % 3 == 0 {
            assert_eq!(*status, 422, "{answer}");
            assert_eq!(
                answer["error"]["message"],
                "payload.body contains a NUL character (U+0000)"
            );
        } else {
            assert_eq!(
                *status, 200,
                "message {n} was refused with the bad one: {answer}"
            );
        }
    }
    for n in (0..12).filter(|n| n % 3 != 0) {
        app.driver
            .wait_for_reply(&app.sim, &format!("1555123{n:04}@c.us"), 1)
            .await
            .unwrap();
    }
    assert!(
        app.sent_to("15551230000@c.us").is_empty(),
        "the refused one got no reply"
    );
}
on_both_backends!(a_nul_byte_in_one_webhook_fails_no_other);

/// Finding 2: a NUL character anywhere in the admin API is a 422 naming the
/// field, on both backends alike, and changes nothing.
async fn a_nul_byte_in_the_api_is_a_422_naming_the_field(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, _) = platform.sign_up("ann@example.com", "15550003333").await;
    let key = Some(key.as_str());
    let signup = signup_named("bob@example.com", "Bob\u{0}");
    let item =
        json!({"item_id": "soup", "name": "Soup\u{0}", "price": "4.00", "category": "Starters"});
    let nul = |token, method, path, body, field| Refused {
        token,
        method,
        path,
        body,
        status: 422,
        mentions: vec![field, "NUL"],
    };
    let login = json!({"email": "ann@example.com\u{0}", "password": "correct horse battery"});
    let greeting = json!({"greeting": "Hi\u{0}"});
    assert_refused(
        &platform,
        vec![
            nul(
                None,
                Method::POST,
                "/v1/signup",
                Some(signup),
                "business_name",
            ),
            nul(None, Method::POST, "/v1/login", Some(login), "email"),
            nul(key, Method::POST, "/v1/menu/items", Some(item), "name"),
            nul(key, Method::PUT, "/v1/settings", Some(greeting), "greeting"),
            nul(
                key,
                Method::GET,
                "/v1/orders?customer=a%00b",
                None,
                "query string",
            ),
            nul(
                key,
                Method::GET,
                "/v1/orders/export.csv?customer=%00",
                None,
                "query string",
            ),
            nul(key, Method::GET, "/v1/menu/items/so%00up", None, "path"),
        ],
    )
    .await;
    let (_, items) = platform.menu_items(key).await;
    assert_eq!(items, json!([]), "nothing was stored");
    let (status, _) = platform
        .log_in_request(
            None,
            json!({"email": "bob@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(status, 401, "the refused signup created no account");
}
on_both_backends!(a_nul_byte_in_the_api_is_a_422_naming_the_field);

/// Finding 3: a menu image URL that would make WAHA fetch an internal
/// address (or plain http) is refused; a public https one is kept.
async fn menu_images_cannot_point_inside_the_platform(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (owner, _) = platform.sign_up("ann@example.com", "15550003333").await;
    let key = Some(owner.as_str());
    let item = |url: &str| {
        json!({"item_id": "soup", "name": "Soup", "price": "4.00", "category": "Starters",
            "image_url": url})
    };
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1:9000/admin",
        "https://localhost/x.png",
        "https://[::ffff:10.0.0.1]/x.png",
        "http://93.184.216.34/soup.jpg",
    ] {
        let (status, answer) = platform.add_item(key, item(url)).await;
        assert_eq!(
            (status, error_code(&answer)),
            (422, "invalid"),
            "{url}: {answer}"
        );
    }
    let csv = "item_id,name,description,price,category,available,image_url
soup,Soup,,4.00,Starters,yes,https://10.1.2.3/soup.jpg
";
    let (status, answer) = platform.import_csv(&owner, csv, "replace").await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["details"][0]["item_id"], "soup");
    let (_, items) = platform.menu_items(key).await;
    assert_eq!(items, json!([]), "nothing was stored");

    let (status, answer) = platform
        .add_item(key, item("https://93.184.216.34/soup.jpg"))
        .await;
    assert_eq!(status, 201, "a public https URL is fine: {answer}");
    let (status, answer) = platform
        .call(
            key,
            Method::PATCH,
            "/v1/menu/items/soup",
            Some(json!({"image_url": "https://192.168.0.1/x.jpg"})),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
}
on_both_backends!(menu_images_cannot_point_inside_the_platform);

const PHARMACY_CSV: &str =
    "item_id,name,description,price,category,available,image_url,stock,variant,prescription_required
amoxicillin,Amoxicillin 500mg,,12.00,Antibiotics,,,,,yes
";

/// Finding 7: what a customer says of a file (its type, its name) cannot
/// break or inject headers, and a file that a browser could run (SVG,
/// HTML) is served as an inert download.
async fn customer_file_metadata_is_served_safely(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform
        .live_business(
            "rx@example.com",
            "+1 555 010 1200",
            "pharmacy",
            PHARMACY_CSV,
        )
        .await;
    let cases = [
        (
            "15550101301",
            "image/jpeg\r\nX-Injected: 1",
            "rx\u{7}\"\r\n.jpg",
            "application/octet-stream",
        ),
        (
            "15550101302",
            "image/svg+xml",
            "rx.svg",
            "application/octet-stream",
        ),
        ("15550101303", "image/png", "../../rx.png", "image/png"),
    ];
    for (number, (customer, mimetype, filename, served_as)) in (1001..).zip(cases) {
        let says = |text: &'static str, replies: usize| {
            platform
                .driver
                .customer_says(&platform.sim, &session, customer, text, replies)
        };
        says("1", 1).await.unwrap();
        says("checkout", 2).await.unwrap();
        let file = CustomerMedia {
            bytes: b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
            mimetype: mimetype.to_owned(),
            filename: Some(filename.to_owned()),
        };
        platform
            .sim
            .inject_customer_media(&session, customer, "", file)
            .unwrap();
        let received = platform
            .driver
            .wait_for_reply(&platform.sim, customer, 3)
            .await
            .unwrap();
        assert!(received.contains("Prescription received"), "{received}");
        says("22 Mill Road, York", 4).await.unwrap();
        says("yes", 5).await.unwrap();
        let (_, page) = platform.orders(Some(&key)).await;
        let order = page["orders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["order_number"] == number)
            .unwrap_or_else(|| panic!("order {number}: {page}"))
            .clone();
        let media_id = order["prescription"]["media_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let response = reqwest::Client::new()
            .get(format!("{}/v1/media/{media_id}", platform.server.url))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{mimetype:?}");
        let headers = response.headers();
        assert_eq!(headers["content-type"], served_as, "{mimetype:?}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.get("x-injected").is_none());
        let disposition = headers["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"rx"),
            "{disposition}"
        );
        assert!(!disposition.contains(['\u{7}', '/']), "{disposition}");
    }
}
on_both_backends!(customer_file_metadata_is_served_safely);

/// Finding 8: a tenant whose session cannot start is told the gateway is
/// unavailable, with an error id, never the gateway's internal address.
async fn a_failed_session_start_shows_no_internal_address(backend: Backend) {
    let Stack { server, driver, .. } = Stack::start(backend, |_| {}).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let instance = json!({"name": "down", "base_url": format!("http://{address}"),
        "api_key": "waha-key-0123456789"});
    driver
        .operator(Method::POST, "/v1/operator/waha-instances", Some(&instance))
        .await
        .unwrap();
    let platform = Platform::on(server, driver).await;
    let (key, _) = platform.sign_up("ann@example.com", "15550003333").await;
    let (status, answer) = platform.start_session(Some(&key)).await;
    assert_eq!(status, 503, "{answer}");
    let text = answer.to_string();
    assert!(
        !text.contains(&address) && !text.contains("127.0.0.1"),
        "{text}"
    );
    assert_eq!(
        answer["error"]["message"],
        "the WhatsApp gateway is temporarily unavailable; retry later"
    );
    assert_eq!(answer["error"]["error_id"].as_str().map(str::len), Some(32));
}
on_both_backends!(a_failed_session_start_shows_no_internal_address);

/// Finding 8: `wabot migrate`, and a start that cannot reach its database,
/// never print the database password.
#[tokio::test]
async fn no_database_password_is_printed() {
    let database = fresh_database(Backend::Postgres).await;
    let mut with_password = url::Url::parse(&database).unwrap();
    with_password.set_password(Some("hunter2-secret")).unwrap();
    let with_password = with_password.to_string();
    let run = |command: &str, url: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_wabot"))
            .arg(command)
            .env("WABOT_DATABASE__URL", url)
            .env("WABOT_SECRETS__KEYS", SEALING_KEYS)
            .env("WABOT_SERVER__LISTEN", "127.0.0.1:0")
            .output()
            .unwrap()
    };
    // Trust authentication ignores the password: the migration runs.
    let migrated = run("migrate", &with_password);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&migrated.stdout),
        String::from_utf8_lossy(&migrated.stderr)
    );
    assert!(migrated.status.success(), "{printed}");
    assert!(printed.contains("migrations applied"), "{printed}");
    assert!(printed.contains(":***@"), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(
        !printed.contains('\u{1b}'),
        "no colour codes when not on a terminal: {printed:?}"
    );

    let unreachable = "postgres://app:hunter2-secret@127.0.0.1:1/wabot";
    let failed = run("serve", unreachable);
    let printed = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(printed.contains("opening the database"), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
}

/// Finding 10: `wabot openapi | head` ends quietly when the reader stops.
#[test]
fn the_openapi_command_survives_a_closed_pipe() {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wabot"))
        .arg("openapi")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The pipe is closed here, with most of the document unread.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A signed `message` event from `customer`, created at `timestamp_ms`.
fn signed_at(
    customer: &str,
    text: &str,
    timestamp_ms: i64,
) -> (Vec<u8>, Vec<(&'static str, String)>) {
    let (body, _) = signed_message_event(SESSION, customer, text, false);
    let mut event: serde_json::Value = serde_json::from_slice(&body).unwrap();
    event["timestamp"] = json!(timestamp_ms);
    let body = serde_json::to_vec(&event).unwrap();
    let headers = vec![
        ("X-Webhook-Hmac", waha_sim::sign(SECRET, &body)),
        ("X-Webhook-Hmac-Algorithm", "sha512".to_owned()),
    ];
    (body, headers)
}

/// Finding 9: the last retry of the schedule wabot registers on WAHA is
/// accepted; a replay of a stored message is a duplicate at any age (even
/// after its text was erased); an event never stored is refused once the
/// window has passed.
async fn webhook_freshness_fits_the_registered_retries(backend: Backend) {
    use wabot_actors::waha_client::webhook_retries::REGISTERED;
    let app = TestApp::spawn(backend).await;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let last_retry_ms = REGISTERED.last_attempt_at_most().as_millis() as i64;
    let window_ms = REGISTERED.freshness_window().as_millis() as i64;

    let late = "15551239001@c.us";
    let (body, headers) = signed_at(late, "menu", now_ms - last_retry_ms);
    let (status, answer) = app.post_webhook(body.clone(), &headers).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("accepted")),
        "{answer}"
    );
    app.driver.wait_for_reply(&app.sim, late, 1).await.unwrap();

    let (status, answer) = app.post_webhook(body.clone(), &headers).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("duplicate")),
        "{answer}"
    );

    let stale = "15551239002@c.us";
    let (old, old_headers) = signed_at(stale, "menu", now_ms - window_ms - 5_000);
    let (status, answer) = app.post_webhook(old, &old_headers).await;
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stale")
    );

    // Erasing handled texts keeps the dedupe key.
    let erased = app
        .server
        .store
        .erase_handled_texts(chrono::Utc::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert!(erased >= 1, "{erased}");
    let (status, answer) = app.post_webhook(body, &headers).await;
    assert_eq!(
        (status, &answer["status"]),
        (200, &json!("duplicate")),
        "{answer}"
    );
    assert_eq!(app.sent_to(late).len(), 1, "answered once");
    assert!(app.sent_to(stale).is_empty());
}
on_both_backends!(webhook_freshness_fits_the_registered_retries);

/// Finding 10: a delivery address written as a spreadsheet formula is
/// exported as text.
async fn exported_orders_carry_no_live_formulas(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, session, _) = platform.live_tenant("ann@example.com", "15550003333").await;
    let customer = "15551238888";
    let says = |text: &'static str, replies: usize| {
        platform
            .driver
            .customer_says(&platform.sim, &session, customer, text, replies)
    };
    says("1", 1).await.unwrap();
    says("checkout", 2).await.unwrap();
    says("=HYPERLINK(\"http://evil.example\",\"Track order\")", 3)
        .await
        .unwrap();
    let placed = says("yes", 4).await.unwrap();
    assert!(placed.contains("#1001"), "{placed}");
    let csv = reqwest::Client::new()
        .get(format!("{}/v1/orders/export.csv", platform.server.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\""),
        "{csv}"
    );
    assert!(!csv.contains(",\"=HYPERLINK"), "{csv}");
}
on_both_backends!(exported_orders_carry_no_live_formulas);

/// Finding 10: control characters, overlong descriptions, unknown routes,
/// wrong methods, oversized bodies, unparsable queries: each a clear JSON
/// error with the right status, and nothing changed. The `Bearer` scheme
/// is case-insensitive.
async fn small_input_holes_are_closed(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (key, _) = platform.sign_up("ann@example.com", "15550003333").await;
    let owner = Some(key.as_str());
    let signup = signup_named("eve@example.com", "Eve\u{1b}[2J\u{1b}[31mPizza");
    let long = "x".repeat(501);
    let item = json!({"item_id": "soup", "name": "Soup", "price": "4.00",
        "category": "Starters", "description": long});
    let refused = |token, method, path, body, status| Refused {
        token,
        method,
        path,
        body,
        status,
        mentions: Vec::new(),
    };
    let greeting = json!({"greeting": "Hi \u{202E}!olleh"});
    assert_refused(
        &platform,
        vec![
            refused(None, Method::POST, "/v1/signup", Some(signup), 422),
            refused(owner, Method::PUT, "/v1/settings", Some(greeting), 422),
            refused(owner, Method::POST, "/v1/menu/items", Some(item), 422),
            refused(owner, Method::GET, "/v1/no-such-route", None, 404),
            refused(owner, Method::DELETE, "/v1/me", None, 405),
            refused(owner, Method::GET, "/v1/orders?limit=many", None, 400),
        ],
    )
    .await;
    let (_, items) = platform.menu_items(owner).await;
    assert_eq!(items, json!([]));

    let oversized =
        json!({"item_id": "soup", "name": "x".repeat(70_000), "price": "1", "category": "c"});
    let (status, answer) = platform.add_item(owner, oversized).await;
    assert_eq!(
        (status, error_code(&answer)),
        (413, "payload_too_large"),
        "{answer}"
    );

    let response = reqwest::Client::new()
        .get(format!("{}/v1/me", platform.server.url))
        .header("Authorization", format!("bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "the scheme is case-insensitive");
}
on_both_backends!(small_input_holes_are_closed);

/// The secrets kept at rest, as stored: every webhook key and WAHA API key.
async fn stored_secrets(backend: Backend, url: &str) -> Vec<String> {
    let query = "SELECT webhook_secret FROM tenants UNION ALL SELECT api_key FROM waha_instances";
    match backend {
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            let stored = sqlx::query_scalar(query).fetch_all(&pool).await.unwrap();
            pool.close().await;
            stored
        }
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            // Row-level security is forced: opt in as the platform does.
            let mut connection = pool.acquire().await.unwrap();
            sqlx::query("SET app.platform = 'on'")
                .execute(&mut *connection)
                .await
                .unwrap();
            let stored = sqlx::query_scalar(query)
                .fetch_all(&mut *connection)
                .await
                .unwrap();
            drop(connection);
            pool.close().await;
            stored
        }
    }
}

/// Finding 10: webhook keys and the WAHA API key are sealed at rest; a new
/// key put first seals them again at the next start, and the old key can
/// then go.
async fn secrets_are_sealed_at_rest_and_keys_rotate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let stored = stored_secrets(backend, &app.database_url).await;
    assert_eq!(stored.len(), 2, "{stored:?}");
    for value in &stored {
        assert!(value.starts_with("sealed:v1:test:"), "{value}");
        assert!(
            !value.contains(SECRET) && !value.contains(app.sim.api_key()),
            "{value}"
        );
    }
    app.say("15551237001@c.us", "menu", 1).await;

    let new_key = format!("new:{}", base64_of([7u8; 32]));
    let rotate = |keys: String| {
        move |settings: &mut wabot::Settings| {
            settings.secrets.keys = Some(wabot::config::Secret::new(keys));
        }
    };
    let app = app
        .restart_with(rotate(format!("{new_key},{SEALING_KEYS}")))
        .await;
    let stored = stored_secrets(backend, &app.database_url).await;
    assert!(
        stored.iter().all(|v| v.starts_with("sealed:v1:new:")),
        "{stored:?}"
    );
    app.say("15551237001@c.us", "1", 2).await;

    let app = app.restart_with(rotate(new_key)).await;
    let reply = app.say("15551237001@c.us", "cart", 3).await;
    assert!(
        reply.contains("Margherita") || reply.contains("cart"),
        "{reply}"
    );
}
on_both_backends!(secrets_are_sealed_at_rest_and_keys_rotate);

fn base64_of(bytes: [u8; 32]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

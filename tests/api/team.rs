//! The tenant's team: owners add staff who sign in with a password, staff
//! are limited to their role, the last owner cannot be removed, and a
//! removed user's logins stop working at once. Tenants never see each
//! other's users.

use reqwest::Method;
use serde_json::json;

use crate::harness::{Backend, Platform, error_code};
use crate::on_both_backends;

async fn owners_manage_their_team(backend: Backend) {
    let platform = Platform::start(backend).await;
    let (owner, _) = platform
        .sign_up("boss@example.com", "+1 555 010 0600")
        .await;
    let owner = Some(owner.as_str());
    let (other_owner, _) = platform
        .sign_up("rival@example.com", "+1 555 010 0601")
        .await;

    let new_staff = json!({"email": "Till@Example.com", "password": "counter-password-1"});
    let (status, staff) = platform.add_user(owner, new_staff.clone()).await;
    assert_eq!(status, 201, "{staff}");
    assert_eq!(
        (&staff["email"], &staff["role"]),
        (&json!("till@example.com"), &json!("staff"))
    );
    let (status, taken) = platform.add_user(owner, new_staff).await;
    assert_eq!((status, error_code(&taken)), (409, "conflict"), "{taken}");
    let (status, short) = platform
        .add_user(
            owner,
            json!({"email": "x@example.com", "password": "short"}),
        )
        .await;
    assert_eq!((status, error_code(&short)), (422, "invalid"), "{short}");

    let (status, login) = platform
        .log_in_request(
            None,
            json!({"email": "till@example.com", "password": "counter-password-1"}),
        )
        .await;
    assert_eq!(status, 200, "{login}");
    let staff_token = login["token"].as_str();
    let (status, _) = platform.orders(staff_token).await;
    assert_eq!(status, 200, "staff read orders");
    let (status, _) = platform.users(staff_token).await;
    assert_eq!(status, 403, "staff do not manage the team");

    // Another tenant neither sees nor removes these users.
    let (_, theirs) = platform.users(Some(&other_owner)).await;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs}");
    let staff_path = format!("/v1/users/{}", staff["id"].as_str().unwrap());
    let (status, _) = platform
        .call(Some(&other_owner), Method::DELETE, &staff_path, None)
        .await;
    assert_eq!(status, 404);

    let (_, team) = platform.users(owner).await;
    let owner_path = format!("/v1/users/{}", team[0]["id"].as_str().unwrap());
    let (status, last) = platform
        .call(owner, Method::DELETE, &owner_path, None)
        .await;
    assert_eq!((status, error_code(&last)), (409, "conflict"), "{last}");

    let (status, _) = platform
        .call(owner, Method::DELETE, &staff_path, None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = platform.orders(staff_token).await;
    assert_eq!(status, 401, "the removed user's login stopped working");
    let (_, audit) = platform.audit_log(owner).await;
    assert_eq!(audit["entries"][0]["action"], "user.delete", "{audit}");
}
on_both_backends!(owners_manage_their_team);

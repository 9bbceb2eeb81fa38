//! Configuration: regions, hosts, the environment, validation, redaction.

use std::collections::HashMap;
use std::time::Duration;

use genesys_routing_eval::config::{
    Config, PollPolicy, Region, RetryPolicy, Timeouts, derive_login_base,
};
use genesys_routing_eval::{Client, ClientBuilder, ErrorKind, ValidationError};

use crate::support::problem_names;

const SECRET: &str = "s3cr3t-do-not-print";

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A client builder for `api_base` with test credentials.
fn on(api_base: &str) -> ClientBuilder {
    Client::builder()
        .api_base(api_base)
        .credentials("id", SECRET)
}

/// The configuration `builder` builds, which must be valid.
fn built(builder: ClientBuilder) -> Config {
    builder.build().unwrap().config().clone()
}

#[test]
fn every_region_parses_from_its_key_dashed_key_and_domain() {
    assert_eq!(Region::ALL.len(), 18);
    for &region in Region::ALL {
        let key = region.key();
        assert_eq!(key.parse::<Region>().unwrap(), region, "{key}");
        assert_eq!(key.replace('_', "-").parse::<Region>().unwrap(), region);
        assert_eq!(key.to_uppercase().parse::<Region>().unwrap(), region);
        assert_eq!(region.domain().parse::<Region>().unwrap(), region);
        assert_eq!(
            format!("api.{}", region.domain())
                .parse::<Region>()
                .unwrap(),
            region
        );
        assert_eq!(region.to_string(), key);
        assert_eq!(
            region.api_base().as_str(),
            format!("https://api.{}/", region.domain())
        );
        assert_eq!(
            region.login_base().as_str(),
            format!("https://login.{}/", region.domain())
        );
    }
}

#[test]
fn region_table_matches_the_reference() {
    let expected = [
        ("us_east_1", "mypurecloud.com"),
        ("us_east_2", "use2.us-gov-pure.cloud"),
        ("us_west_2", "usw2.pure.cloud"),
        ("ca_central_1", "cac1.pure.cloud"),
        ("sa_east_1", "sae1.pure.cloud"),
        ("mx_central_1", "mxc1.pure.cloud"),
        ("eu_west_1", "mypurecloud.ie"),
        ("eu_west_2", "euw2.pure.cloud"),
        ("eu_central_1", "mypurecloud.de"),
        ("eu_central_2", "euc2.pure.cloud"),
        ("eusc_de_east_1", "edee1.eusc-pure.cloud"),
        ("me_central_1", "mec1.pure.cloud"),
        ("ap_south_1", "aps1.pure.cloud"),
        ("ap_southeast_1", "apse1.pure.cloud"),
        ("ap_southeast_2", "mypurecloud.com.au"),
        ("ap_northeast_1", "mypurecloud.jp"),
        ("ap_northeast_2", "apne2.pure.cloud"),
        ("ap_northeast_3", "apne3.pure.cloud"),
    ];
    let actual: Vec<_> = Region::ALL.iter().map(|r| (r.key(), r.domain())).collect();
    assert_eq!(actual, expected);
}

#[test]
fn unknown_region_is_a_config_error_listing_the_keys() {
    let err = "mars_north_1".parse::<Region>().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("eu_west_1"), "{err}");
}

#[test]
fn login_host_is_derived_as_the_official_sdks_do() {
    let api = url::Url::parse("https://api.mypurecloud.com.au/").unwrap();
    assert_eq!(
        derive_login_base(&api).as_str(),
        "https://login.mypurecloud.com.au/"
    );
    let gateway = url::Url::parse("https://genesys-gateway.example.com/").unwrap();
    assert_eq!(derive_login_base(&gateway), gateway);

    let config = built(on("http://127.0.0.1:8080"));
    assert_eq!(config.api_base().as_str(), "http://127.0.0.1:8080/");
    assert_eq!(config.login_base().as_str(), "http://127.0.0.1:8080/");
}

#[test]
fn bare_host_names_mean_https() {
    let config = built(on("api.mypurecloud.ie"));
    assert_eq!(config.api_base().as_str(), "https://api.mypurecloud.ie/");
    assert_eq!(
        config.login_base().as_str(),
        "https://login.mypurecloud.ie/"
    );
}

#[test]
fn a_gateway_path_prefix_is_kept_for_every_call() {
    let config = built(on("https://gateway.example.com/genesys?x=1"));
    assert_eq!(
        config.api_base().as_str(),
        "https://gateway.example.com/genesys/"
    );
    assert_eq!(config.login_base(), config.api_base());
}

#[test]
fn plain_http_is_refused_for_non_loopback_hosts() {
    for host in [
        "http://api.mypurecloud.com",
        "http://10.0.0.5:8080",
        "http://127.example.com",
    ] {
        let err = on(host).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(
            matches!(err.validation(), [ValidationError::InsecureHttp { .. }]),
            "{host}: {err}"
        );
    }
    for host in [
        "http://127.0.0.1:9",
        "http://localhost:9",
        "http://[::1]:9",
        "http://127.1.2.3",
    ] {
        on(host).build().unwrap_or_else(|e| panic!("{host}: {e}"));
    }
    let err = Client::builder()
        .region(Region::UsEast1)
        .login_base("http://login.mypurecloud.com")
        .credentials("id", SECRET)
        .build()
        .unwrap_err();
    assert!(matches!(
        err.validation(),
        [ValidationError::InsecureHttp { .. }]
    ));
}

#[test]
fn environment_api_host_wins_over_region_and_login_host_is_optional() {
    let config = built(ClientBuilder::from_env_map(&env(&[
        ("GENESYS_API_HOST", "https://api.mypurecloud.de"),
        ("GENESYS_REGION", "us_east_1"),
        ("GENESYS_CLIENT_ID", "id"),
        ("GENESYS_CLIENT_SECRET", SECRET),
    ])));
    assert_eq!(config.api_base().as_str(), "https://api.mypurecloud.de/");
    assert_eq!(
        config.login_base().as_str(),
        "https://login.mypurecloud.de/"
    );
    assert_eq!(config.credentials().client_id(), "id");

    let config = built(ClientBuilder::from_env_map(&env(&[
        ("GENESYS_REGION", "ap-northeast-2"),
        ("GENESYS_LOGIN_HOST", "https://login.example.net"),
        ("GENESYS_CLIENT_ID", "id"),
        ("GENESYS_CLIENT_SECRET", SECRET),
    ])));
    assert_eq!(config.api_base().as_str(), "https://api.apne2.pure.cloud/");
    assert_eq!(config.login_base().as_str(), "https://login.example.net/");
}

#[test]
fn empty_environment_reports_every_missing_setting() {
    let err = ClientBuilder::from_env_map(&HashMap::new())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(
        problem_names(&err),
        [
            "missing region or api_base",
            "missing client id",
            "missing client secret"
        ]
    );
}

#[test]
fn unknown_region_in_the_environment_is_reported_with_the_other_problems() {
    let err = ClientBuilder::from_env_map(&env(&[
        ("GENESYS_REGION", "moon-1"),
        ("GENESYS_CLIENT_ID", "id"),
    ]))
    .build()
    .unwrap_err();
    assert_eq!(err.validation().len(), 2, "{err}");
    assert!(err.to_string().contains("GENESYS_REGION"), "{err}");
    assert!(err.to_string().contains("client secret"), "{err}");
}

#[test]
fn a_misspelt_genesys_variable_is_an_error_naming_the_nearest_known_one() {
    let err = ClientBuilder::from_env_map(&env(&[
        ("GENESYS_REGION", "eu_west_1"),
        ("GENESYS_CLIENTID", "id"),
        ("GENESYS_CLIENT_SECRET", "secret"),
        ("GENESYS_APIHOST", "https://api.mypurecloud.ie"),
        ("HOME", "/root"),
    ]))
    .build()
    .unwrap_err();

    let unknown: Vec<(&str, &str)> = err
        .validation()
        .iter()
        .filter_map(|p| match p {
            ValidationError::UnknownVariable { name, suggestion } => {
                Some((name.as_str(), suggestion.as_str()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        unknown,
        [
            ("GENESYS_APIHOST", "GENESYS_API_HOST"),
            ("GENESYS_CLIENTID", "GENESYS_CLIENT_ID"),
        ]
    );
    assert!(
        err.validation()
            .iter()
            .any(|p| matches!(p, ValidationError::Missing { name, .. } if name == "client id")),
        "the missing id is still reported: {err}"
    );
}

#[test]
fn build_returns_every_problem_at_once() {
    let err = Client::builder()
        .api_base("http://api.mypurecloud.com")
        .credentials("", "")
        .timeouts(Timeouts::new(Duration::ZERO, Duration::from_secs(1)))
        .retry_policy(RetryPolicy::default().with_max_attempts(0))
        .poll_policy(PollPolicy::default().with_deadline(Duration::ZERO))
        .max_body_bytes(0)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(err.validation().len(), 7, "{err:#?}");
}

#[test]
fn secrets_never_appear_in_debug_or_display() {
    let builder = Client::builder()
        .region(Region::EuWest1)
        .credentials("my-client", SECRET);
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let config_debug = format!("{:?}", client.config());
    let client_debug = format!("{client:?}");
    let credentials_debug = format!("{:?}", client.config().credentials());
    for text in [
        &builder_debug,
        &config_debug,
        &client_debug,
        &credentials_debug,
    ] {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        assert!(text.contains("my-client"), "client id missing: {text}");
    }
    assert!(credentials_debug.contains("[redacted]"));
    let env_builder = ClientBuilder::from_env_map(&env(&[("GENESYS_CLIENT_SECRET", SECRET)]));
    assert!(!format!("{env_builder:?}").contains(SECRET));
    let err = env_builder.build().unwrap_err();
    assert!(!err.to_string().contains(SECRET));
    assert!(!format!("{err:?}").contains(SECRET));
}

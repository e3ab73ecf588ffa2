"""nginx configurations compared by `make bench`, all with one worker.

Each returns the text of an `http { ... }` body for a server on {port};
{dir} is the instance's directory (a static index.html lives there)."""

BASE = """
    access_log off;
    keepalive_requests 1000000;
"""

# Doorkeeper's /oauth/token/info for a user token.
INFO_USER = ('{{"resource_owner_id":1,"scope":["read"],"expires_in":null,'
             '"application":{{"uid":"bench"}},"created_at":1}}')

# The budget of new tokens per client is not what is measured: set out of
# reach (the fills send a million new tokens from one address).
NO_BUDGET = "verify_rate=100000000r/s verify_burst=100000000 verify_in_flight=100000"

# The verification stand-in: the same nginx answers as Mastodon would, so a
# token check costs one local subrequest.
VERIFY = """
        location = /_fediguard/oauth/token/info {{
            internal;
            default_type application/json;
            return 200 '""" + INFO_USER + """';
        }}
        location /_fediguard/ {{
            internal;
            default_type application/json;
            return 200 '{{"id":"1","username":"alice","acct":"alice"}}';
        }}
"""

FULL_ON = """
    fediguard_token_zone zone=tokens:64m """ + NO_BUDGET + """;
    fediguard_metrics_zone zone=stats:1m;
    fediguard_limit_zone $binary_remote_addr zone=per_ip:16m rate=100000000r/s;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        fediguard_agent_deny ai seo;
        fediguard_token_verify /_fediguard;
        fediguard_limit zone=per_ip burst=1000000 nodelay;
        location / {{ }}
""" + VERIFY + """
    }}
"""


def plain(**_):
    return BASE + """
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        location / {{ }}
    }}
"""


def full_on(**_):
    return BASE + FULL_ON


def agents_only(rules=0, **_):
    extra = "".join(
        f"    fediguard_agent rule{i} ~*^Custom{i}Bot/[0-9];\n" if i % 2 else
        f"    fediguard_agent rule{i} Custom{i}Crawler;\n"
        for i in range(rules))
    return BASE + extra + """
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        fediguard_agent_deny ai seo;
        location / {{ }}
    }}
"""


def limit_req(**_):
    return BASE + """
    limit_req_zone $binary_remote_addr zone=per_ip:16m rate=100000000r/s;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        location / {{ limit_req zone=per_ip burst=1000000 nodelay; }}
    }}
"""


def fediguard_limit(key="$binary_remote_addr", **_):
    return BASE + """
    fediguard_limit_zone """ + key + """ zone=per_ip:128m rate=100000000r/s;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        location / {{ fediguard_limit zone=per_ip burst=1000000 nodelay; }}
    }}
"""


def token_check(**_):
    return BASE + """
    fediguard_token_zone zone=tokens:256m """ + NO_BUDGET + """;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        fediguard_token_verify /_fediguard;
        fediguard_token_require user;
        location / {{ }}
""" + VERIFY + """
    }}
"""


def auth_request_cache(**_):
    # What admins can do today with nginx's own modules: auth_request to a
    # location that proxies to the backend, cached by the Authorization
    # header.
    return BASE + """
    proxy_cache_path {dir}/authcache keys_zone=auth:16m;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        location / {{ auth_request /_auth; }}
        location = /_auth {{
            internal;
            proxy_pass http://127.0.0.1:{port}/_backend/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_cache auth;
            proxy_cache_key $http_authorization;
            proxy_cache_valid 200 10m;
        }}
        location = /_backend/verify {{
            allow 127.0.0.1; deny all;
            default_type application/json;
            return 200 '{{"acct":"alice"}}';
        }}
    }}
"""


def proxied_backend(**_):
    # A plain proxied request to the same stand-in (for the cold path).
    return BASE + """
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        location / {{ proxy_pass http://127.0.0.1:{port}/_backend/; }}
        location /_backend/ {{
            default_type application/json;
            return 200 '{{"id":"1","username":"alice","acct":"alice"}}';
        }}
    }}
"""


def token_cold(**_):
    # Verification proxied to a backend, as in production: a new token
    # costs one backend round trip before the request is served.
    return BASE + """
    fediguard_token_zone zone=tokens:64m """ + NO_BUDGET + """;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        fediguard_token_verify /_fediguard;
        fediguard_token_require user;
        location / {{ }}
        location /_fediguard/ {{ internal; proxy_pass http://127.0.0.1:{port}/_backend/; }}
        location = /_backend/oauth/token/info {{
            fediguard off;
            default_type application/json;
            return 200 '""" + INFO_USER + """';
        }}
        location /_backend/ {{
            fediguard off;
            default_type application/json;
            return 200 '{{"id":"1","username":"alice","acct":"alice"}}';
        }}
    }}
"""


def limit_keys(redis_port=None, **_):
    # One limit keyed by a header; with redis_port, the zone is `sync` and
    # worker 0 (the only one) also runs the sync rounds with Redis.
    cluster = f"    fediguard_redis redis://127.0.0.1:{redis_port};\n" if redis_port else ""
    sync = " sync" if redis_port else ""
    return BASE + cluster + """
    fediguard_limit_zone $http_x_key zone=per_key:64m rate=100000000r/s""" + sync + """;
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        location / {{ fediguard_limit zone=per_key burst=1000000 nodelay; }}
    }}
"""


def token_calls(token_info=True, names=True, **_):
    # What a new token costs the backend: a stand-in that tells user, app
    # and invalid tokens apart by their first letters, as Doorkeeper's
    # /oauth/token/info (or, with token_info=False, a server without it:
    # 404, then the two verify_credentials endpoints) would; the metrics
    # count the calls. With `names`, names are shown ($fediguard_account and
    # $fediguard_app_name in the access log), as mastodon.conf does.
    info = """
        location = /_backend/oauth/token/info {{
            fediguard off;
            default_type application/json;
            if ($http_authorization ~ "^Bearer User") {{ return 200 '""" + INFO_USER + """'; }}
            if ($http_authorization ~ "^Bearer App") {{
                return 200 '{{"resource_owner_id":null,"application":{{"uid":"bench"}}}}';
            }}
            return 401 '{{"error":"invalid_token"}}';
        }}""" if token_info else ""
    return """
    fediguard_token_zone zone=tokens:64m """ + NO_BUDGET + """;
    fediguard_metrics_zone zone=stats:1m;
    log_format names '""" + ("$fediguard_account $fediguard_app_name" if names else "-") + """';
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        access_log {dir}/names.log names;
        location / {{ fediguard on; fediguard_token_verify /_fediguard; }}
        location = /metrics {{ fediguard_metrics; }}
        location /_fediguard/ {{ internal; proxy_pass http://127.0.0.1:{port}/_backend/; }}""" + info + """
        location = /_backend/api/v1/accounts/verify_credentials {{
            fediguard off;
            default_type application/json;
            if ($http_authorization ~ "^Bearer User") {{
                return 200 '{{"id":"1","username":"alice","acct":"alice"}}';
            }}
            if ($http_authorization ~ "^Bearer App") {{
                return 422 '{{"error":"This method requires an authenticated user"}}';
            }}
            return 401 '{{"error":"The access token is invalid"}}';
        }}
        location = /_backend/api/v1/apps/verify_credentials {{
            fediguard off;
            default_type application/json;
            if ($http_authorization ~ "^Bearer (User|App)") {{
                return 200 '{{"name":"Bench","website":null}}';
            }}
            return 401 '{{"error":"The access token is invalid"}}';
        }}
        location /_backend/ {{ fediguard off; return 404; }}
    }}
"""


def agents_search(dns_port=None, **_):
    # Search engines classified; with dns_port, their claims are verified
    # (forward-confirmed reverse DNS through nginx's resolver, answers in
    # the zone) and unverified claimants denied.
    verify = ("""
    resolver 127.0.0.1:""" + str(dns_port) + """;
    fediguard_verify_zone zone=verify:16m;""") if dns_port else ""
    deny = "fediguard_agent_deny_unverified search;" if dns_port else ""
    return BASE + verify + """
    server {{
        listen 127.0.0.1:{port};
        root {dir};
        fediguard on;
        fediguard_agent_deny ai seo;
        """ + deny + """
        location / {{ }}
    }}
"""

"""Docker HEALTHCHECK for the web container: is gunicorn answering HTTP on $PORT?

Any answer below 500 counts: with production settings "/" may redirect (to the login
page, or to HTTPS), which still shows the app is up. The request carries
X-Forwarded-Proto: https (honoured via SECURE_PROXY_SSL_HEADER) and a Host taken
from ALLOWED_HOSTS so that Django does not reject it.
"""

import http.client
import os
import sys


def main() -> int:
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = next((h.lstrip(".") for h in hosts if h != "*"), "localhost")
    path = os.environ.get("HEALTHCHECK_PATH", "/")
    conn = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=4)
    try:
        conn.request("GET", path, headers={"Host": host, "X-Forwarded-Proto": "https"})
        status = conn.getresponse().status
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    finally:
        conn.close()
    if status >= 500:
        print(f"unhealthy: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

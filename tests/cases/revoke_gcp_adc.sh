# revoke gcp-key with Application Default Credentials against
# tests/emu/gcp.py: a service-account key file (a fresh RSA key: the
# emulator checks the RS256 JWT with its public key) exchanged at its
# token_uri, cached for the run; a forged signature refused; gcloud's ADC
# file (authorized_user, refresh_token grant) under CLOUDSDK_CONFIG; the
# metadata server (GCE_METADATA_HOST, Metadata-Flavor: Google); nothing at
# all: what was tried.  No key, token or refresh token in any output.
. "$ROOT/tests/cases/lib.sh"
. "$ROOT/tests/emu/lib.sh"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.pem 2> /dev/null
openssl pkey -in sa.pem -pubout -out sa.pub
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out forged.pem 2> /dev/null
RT=1//RefreshTokenDoNotLeak0000000000001
CS=ClientSecretDoNotLeak000000001
jq -n --rawfile pub sa.pub --arg rt "$RT" --arg cs "$CS" '{
  service_accounts: [
    {email: "responder@my-proj.iam.gserviceaccount.com", keys: [{id: "resp0001", public_key_pem: $pub}]},
    {email: "ci@my-proj.iam.gserviceaccount.com", keys: [{id: "0123abcd"}, {id: "4567ef01"}]}],
  oauth_clients: [{client_id: "764086051850-emu.apps.googleusercontent.com", client_secret: $cs, refresh_token: $rt}]}' > gcp.json
emu_start gcp "$TMP/emu" --seed gcp.json
export CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM=$EMU_GCP_URL/ CORDON_HTTP_BACKOFF_MS=50
unset CLOUDSDK_AUTH_ACCESS_TOKEN GOOGLE_OAUTH_ACCESS_TOKEN GOOGLE_APPLICATION_CREDENTIALS CLOUDSDK_CONFIG
mkdir home; export HOME=$PWD/home GCE_METADATA_HOST=127.0.0.1:1
DB="$TMP/g.db"
C() { "$CORDON" --db "$DB" "$@"; }
st() { emu_ctl gcp GET /state; }
key() { st | jq -r --arg k "$1" '.service_accounts["ci@my-proj.iam.gserviceaccount.com"].keys[$k].disabled'; }
K=projects/my-proj/serviceAccounts/ci@my-proj.iam.gserviceaccount.com/keys
keyfile() { # keyfile OUT PEM
	jq -n --rawfile pk "$2" --arg uri "$EMU_GCP_URL/token" '{type: "service_account", project_id: "my-proj",
	  private_key_id: "resp0001", private_key: $pk, client_email: "responder@my-proj.iam.gserviceaccount.com",
	  client_id: "1000000000000000001", token_uri: $uri}' > "$1"
}

# ---- GOOGLE_APPLICATION_CREDENTIALS: a service-account key file ----------------
keyfile sa.json sa.pem
GOOGLE_APPLICATION_CREDENTIALS=$PWD/sa.json C revoke gcp-key "$K/0123abcd" "$K/4567ef01" --disable --format json > g1 \
	|| die "service-account key file: $(cat g1)"
jq -e '[.results[] | select(.result == "done")] | length == 2' g1 > /dev/null || die "sa key: $(cat g1)"
expect_eq "$(key 0123abcd) $(key 4567ef01)" "true true" "keys disabled with the exchanged token"
# one exchange for both targets: the token is cached for the run
expect_eq "$(st | jq .exchanges)" 1 "token exchanges"
emu_ctl gcp GET /requests | jq -e '[.[] | select(.path == "/token")] | length == 1 and .[0].status == 200' > /dev/null \
	|| die "token requests: $(emu_ctl gcp GET /requests)"

# a JWT signed with another key: the endpoint refuses it, the file is named
keyfile forged.json forged.pem
set +e; GOOGLE_APPLICATION_CREDENTIALS=$PWD/forged.json C revoke gcp-key "$K/0123abcd" --disable > g2 2>&1; rc=$?; set -e
expect_eq $rc 2 "forged JWT"
grep -q "forged.json (responder@my-proj.iam.gserviceaccount.com): .*invalid_grant: Invalid JWT Signature" g2 || die "forged: $(cat g2)"
# not a key file
echo '{"type":"external_account"}' > ext.json
set +e; GOOGLE_APPLICATION_CREDENTIALS=$PWD/ext.json C revoke gcp-key "$K/0123abcd" --disable > g3 2>&1; rc=$?; set -e
expect_eq $rc 2 "external_account"
grep -q "ext.json is of type 'external_account'" g3 || die "type: $(cat g3)"

# ---- gcloud's ADC file (authorized_user) under CLOUDSDK_CONFIG -------------------
mkdir gcloud
jq -n --arg rt "$RT" --arg cs "$CS" --arg uri "$EMU_GCP_URL/token" '{type: "authorized_user",
  client_id: "764086051850-emu.apps.googleusercontent.com", client_secret: $cs, refresh_token: $rt,
  token_uri: $uri}' > gcloud/application_default_credentials.json
# results come in completion order: pick the step on 0123abcd
id=$(jq -r '.results[] | select(.target | endswith("/0123abcd")) | .action_id' g1)
CLOUDSDK_CONFIG=$PWD/gcloud C revoke undo "$id" > g4 2>&1 || die "authorized_user: $(cat g4)"
expect_eq "$(key 0123abcd)" false "undo with gcloud's ADC file"
# a revoked refresh token: what to run
jq --arg rt "1//Revoked" '.refresh_token = $rt' gcloud/application_default_credentials.json > g.json
mkdir gcloud2; mv g.json gcloud2/application_default_credentials.json
set +e; CLOUDSDK_CONFIG=$PWD/gcloud2 C revoke gcp-key "$K/0123abcd" --disable > g5 2>&1; rc=$?; set -e
expect_eq $rc 2 "revoked refresh token"
grep -q "run gcloud auth application-default login again" g5 || die "refresh: $(cat g5)"

# ---- the metadata server ---------------------------------------------------------
GCE_METADATA_HOST=127.0.0.1:$EMU_GCP_PORT C revoke gcp-key "$K/0123abcd" --disable > g6 2>&1 || die "metadata: $(cat g6)"
expect_eq "$(key 0123abcd)" true "disabled with the metadata server's token"
emu_ctl gcp GET /requests | jq -e '[.[] | select(.path | startswith("/computeMetadata"))] | length == 1 and .[0].status == 200' > /dev/null \
	|| die "metadata requests"
# nothing anywhere: every source named
set +e; C revoke gcp-key "$K/4567ef01" --delete > g7 2>&1; rc=$?; set -e
expect_eq $rc 2 "no credentials"
grep -q "no GCP credentials: .*GOOGLE_APPLICATION_CREDENTIALS.*metadata server" g7 || die "none: $(cat g7)"
expect_eq "$(st | jq '.service_accounts["ci@my-proj.iam.gserviceaccount.com"].keys["4567ef01"].deleted')" false "nothing deleted"

C audit verify > /dev/null || die audit
sqlite3 "$DB" "PRAGMA wal_checkpoint(PASSIVE)" > /dev/null
pk=$(sed -n 2p sa.pem)
for s in "$RT" "$CS" "ya29.emu-" "$pk"; do
	for f in g1 g2 g3 g4 g5 g6 g7 "$DB" "$DB-wal" "$TMP/emu/gcp.log"; do
		[ -f "$f" ] || continue
		if grep -qaF -- "$s" "$f"; then die "secret found in $f"; fi
	done
done

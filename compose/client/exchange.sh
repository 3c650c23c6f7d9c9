#!/bin/sh
# Contract-test ONSS and MAGDA from another container: upload, wait for the answer, fetch it, delete it,
# then ask for each partner's contract report. Exits non-zero on any failure or broken contract rule.
set -eu
HOST="${MOCKPARTNERS:-mockpartners}"
STATE=/state
API="http://$HOST:8470"
WORK=$(mktemp -d)

# compose's "service_healthy" is not honoured by every engine: wait for the suite here as well
tries=0
until curl -sf "$API/health" > /dev/null; do
  tries=$((tries + 1)); [ "$tries" -lt 120 ] || { echo "mockpartners did not come up" >&2; exit 1; }
  sleep 0.5
done

# the suite listens beyond loopback, so its API wants the token it wrote into the state directory
AUTH="Authorization: Bearer $(cat "$STATE/admin-token")"

wait_for_answer() {  # PARTNER PATH: long-poll the journal for the partner's answer to PATH
  curl -sSf -H "$AUTH" "$API/v1/journal/wait?partner=$1&kind=partner.answer&path=$2&timeout=60"
}

# -- ONSS over SFTP, as the guide says: key only, upload to IN, fetch from OUT, delete there
KEY="$WORK/id_rsa"
cp "$STATE/onss/credentials/accounts/EXP0000001/id_rsa" "$KEY" && chmod 600 "$KEY"
echo '<dmfa/>' > "$WORK/DMFA.EXAMPLE.xml"
SFTP="sftp -P 8022 -i $KEY -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$WORK/known_hosts"
printf 'put %s IN/\n' "$WORK/DMFA.EXAMPLE.xml" | $SFTP -b - "EXP0000001@$HOST"
wait_for_answer onss IN/DMFA.EXAMPLE.xml > /dev/null
printf 'get OUT/DMFA.EXAMPLE.xml.ACK %s/\nrm OUT/DMFA.EXAMPLE.xml.ACK\n' "$WORK" | $SFTP -b - "EXP0000001@$HOST"
grep -q "status: ACCEPTED" "$WORK/DMFA.EXAMPLE.xml.ACK"
echo "onss: acknowledged"

# -- MAGDA over FTPS with lftp and the page's settings: temporary name, then rename; fetch, then delete
TLS="$STATE/magda/credentials/tls"
echo '<Vraag/>' > "$WORK/VRAAG.EXAMPLE.xml"
lftp -c "
set ftp:passive-mode true; set ftp:ssl-force true; set ftp:ssl-protect-data true
set ftp:use-site-utime2 false; set ssl:ca-file $TLS/server-root-ca/ca.pem; set ssl:check-hostname false
set ssl:cert-file $TLS/accounts/afnemer-0001/cert.pem; set ssl:key-file $TLS/accounts/afnemer-0001/key.pem
open -u afnemer-0001,'' ftp://$HOST:2121
put $WORK/VRAAG.EXAMPLE.xml -o to_vip/VRAAG.EXAMPLE.xml.tmp
mv to_vip/VRAAG.EXAMPLE.xml.tmp to_vip/VRAAG.EXAMPLE.xml
"
wait_for_answer magda to_vip/VRAAG.EXAMPLE.xml > /dev/null
lftp -c "
set ftp:passive-mode true; set ftp:ssl-force true; set ftp:ssl-protect-data true
set ssl:ca-file $TLS/server-root-ca/ca.pem; set ssl:check-hostname false
set ssl:cert-file $TLS/accounts/afnemer-0001/cert.pem; set ssl:key-file $TLS/accounts/afnemer-0001/key.pem
open -u afnemer-0001,'' ftp://$HOST:2121
get from_vip/VRAAG.EXAMPLE.antwoord.xml -o $WORK/antwoord.xml
rm from_vip/VRAAG.EXAMPLE.antwoord.xml
"
grep -q "<Status>VERWERKT</Status>" "$WORK/antwoord.xml"
echo "magda: answered"

# -- did this client keep both partners' contracts?
curl -sS -H "$AUTH" "$API/v1/report?format=text"
curl -sSf -H "$AUTH" -o /dev/null -w '%header{x-contract-passed}\n' "$API/v1/report" | grep -qi true
echo "contract kept"

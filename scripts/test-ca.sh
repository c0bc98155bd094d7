#!/usr/bin/env bash
# Makes a throw-away certificate authority and certificates signed by it, for tests and for
# trying TLS by hand (openssl; nothing here is fit for production):
#   scripts/test-ca.sh DIR
# writes into DIR (created if missing):
#   ca.pem                       the test CA's certificate: what clients trust, and what
#                                `serve --tls-client-ca` trusts for client certificates
#   server.pem, server.key       for `serve --tls-cert/--tls-key`: valid for 127.0.0.1, ::1
#                                and localhost
#   client.pem, client.key       a client certificate (CN stockledger-test-client)
#   other-ca.pem, other-client.pem, other-client.key
#                                a second, unrelated CA and a client certificate it signed:
#                                what a server trusting ca.pem must refuse
# Keys are P-256 ECDSA, unencrypted PKCS#8; certificates are valid for 30 days.
set -euo pipefail
dir="${1:?usage: scripts/test-ca.sh DIR}"
mkdir -p "$dir"
cd "$dir"
days=30

# A CA named $2, key and certificate in $1.key / $1.pem.
make_ca() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.pem" -days "$days" -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
}

# A leaf $1 (.key/.pem) named $2, signed by CA $3, with extensions $4.
make_leaf() {
  local extensions
  extensions="$(mktemp)"
  printf '%s\n' "$4" >"$extensions"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial \
    -out "$1.pem" -days "$days" -extfile "$extensions" 2>/dev/null
  rm -f "$1.csr" "$extensions"
}

make_ca ca "Stockledger test CA"
make_leaf server localhost ca "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
make_leaf client stockledger-test-client ca "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
make_ca other-ca "Unrelated test CA"
make_leaf other-client stockledger-other-client other-ca "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
rm -f ./*.srl

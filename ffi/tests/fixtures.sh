# Sourced by run-c-tests.sh and run-java-tests.sh: the fixtures both FFI tests
# read, made with the CLI. make_fixtures WORK_DIR YZT writes into WORK_DIR a
# root and an issuing CA (root/, sub/), a good and a revoked end entity
# ({good,revoked}.key.pem, .pub.pem, .pem) and the issuing CA's CRL that
# revokes the second (crl.pem).
make_fixtures() {
    local work=$1 yzt=$2
    (
        cd "$work"
        export YZT_CA_PASSWORD=ffi-test-password
        "$yzt" ca init --subject "C=CN,O=FFI Test,CN=FFI Root" --out-dir root >/dev/null
        "$yzt" ca init --subject "C=CN,O=FFI Test,CN=FFI Issuing CA" --out-dir sub --issuer-dir root \
            --path-len 0 >/dev/null
        for who in good revoked; do
            "$yzt" key gen --out "$who.key.pem"
            "$yzt" key pub --in "$who.key.pem" --out "$who.pub.pem"
            "$yzt" cert issue --ca-dir sub --pub "$who.pub.pem" --kind personal --usage sign \
                --name "$who" --id-number 110101199001011237 --days 30 --out "$who.pem" >"$who.json"
        done
        serial=$(sed -n 's/.*"serial":"\([0-9A-Fa-f]*\)".*/\1/p' revoked.json)
        "$yzt" cert revoke --ca-dir sub --serial "$serial" --reason keyCompromise >/dev/null
        "$yzt" crl --ca-dir sub --out crl.pem >/dev/null
    )
}

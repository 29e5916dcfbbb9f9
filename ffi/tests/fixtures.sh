# Sourced by run-c-tests.sh and run-java-tests.sh: the fixtures both FFI tests
# read, made with the CLI. make_fixtures WORK_DIR YZT writes into WORK_DIR a
# root and an issuing CA (root/, sub/), end entities ({who}.key.pem, .pub.pem,
# .pem: a good one with its encryption pair goodenc, a revoked one, a
# platform, a seal maker), a seal (good.esl) and the issuing CA's CRL that
# revokes the revoked one (crl.pem).
make_fixtures() {
    local work=$1 yzt=$2
    (
        cd "$work"
        export YZT_CA_PASSWORD=ffi-test-password
        "$yzt" ca init --subject "C=CN,O=FFI Test,CN=FFI Root" --out-dir root >/dev/null
        "$yzt" ca init --subject "C=CN,O=FFI Test,CN=FFI Issuing CA" --out-dir sub --issuer-dir root \
            --path-len 0 >/dev/null
        # good: the holder's signing certificate; goodenc: its encryption pair;
        # platform: a trading platform's key; maker: a seal maker.
        for who in good goodenc revoked platform maker; do
            usage=sign
            [ "$who" = goodenc ] && usage=encrypt
            "$yzt" key gen --out "$who.key.pem"
            "$yzt" key pub --in "$who.key.pem" --out "$who.pub.pem"
            "$yzt" cert issue --ca-dir sub --pub "$who.pub.pem" --kind personal --usage "$usage" \
                --name "$who" --id-number 110101199001011237 --days 30 --out "$who.pem" >"$who.json"
        done
        printf '%s\n' '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">' \
            '<circle cx="20" cy="20" r="18" stroke="red" fill="none"/></svg>' >seal.svg
        "$yzt" seal make --maker-key maker.key.pem --maker-cert maker.pem --holder-cert good.pem \
            --image seal.svg --name "FFI 测试章" --kind personal --width-mm 40 --height-mm 40 \
            --out good.esl >/dev/null
        serial=$(sed -n 's/.*"serial":"\([0-9A-Fa-f]*\)".*/\1/p' revoked.json)
        # The CRL is issued after the seal was made, as a platform's always is:
        # verifying the seal at its creation time must still use it.
        sleep 1
        "$yzt" cert revoke --ca-dir sub --serial "$serial" --reason keyCompromise >/dev/null
        "$yzt" crl --ca-dir sub --out crl.pem >/dev/null
    )
}

"""A throw-away CA and a server certificate for 127.0.0.1/localhost, made at start."""
import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "PVE Simulator"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject, issuer, public_key, signing_key, ca, extensions=()):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(public_key).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def make_certificates(hosts=("127.0.0.1", "localhost")):
    """Returns (ca_pem, cert_pem, key_pem) as bytes."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    # Key identifiers on both certificates: Python 3.13 verifies strictly (VERIFY_X509_STRICT) and refuses a chain
    # without them ("Missing Authority Key Identifier").
    ca_cert = _cert(_name("PVE Simulator CA"), _name("PVE Simulator CA"), ca_key.public_key(), ca_key, True,
                    [(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
                     (ca_ski, False),
                     (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False)])
    key = ec.generate_private_key(ec.SECP256R1())
    alt = []
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    cert = _cert(_name(hosts[0]), ca_cert.subject, key.public_key(), ca_key, False,
                 [(x509.SubjectAlternativeName(alt), False),
                  (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False),
                  (x509.KeyUsage(True, False, False, False, False, False, False, False, False), True),
                  (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
                  (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False)])
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return ca_cert.public_bytes(pem), cert.public_bytes(pem), key_pem


def server_context(ca_path, hosts=("127.0.0.1", "localhost")):
    """Writes the CA certificate to ca_path and returns a server SSLContext."""
    ca_pem, cert_pem, key_pem = make_certificates(hosts)
    with open(ca_path, "wb") as handle:
        handle.write(ca_pem)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        chain = os.path.join(tmp, "chain.pem")
        keyfile = os.path.join(tmp, "key.pem")
        with open(chain, "wb") as handle:
            handle.write(cert_pem + ca_pem)
        with open(keyfile, "wb") as handle:
            handle.write(key_pem)
        ctx.load_cert_chain(chain, keyfile)
    return ctx

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OpenSqt.TestSupport;

/// <summary>A throw-away CA with a server certificate for 127.0.0.1/localhost and a client certificate, written to a temp folder.</summary>
public sealed class TestCertificates : IDisposable
{
    public const string Password = "test-only";

    private TestCertificates(string folder) => Folder = folder;

    public string Folder { get; }

    public string CaPath => Path.Combine(Folder, "ca.cer");

    public string ServerPfxPath => Path.Combine(Folder, "server.pfx");

    public string ClientPfxPath => Path.Combine(Folder, "client.pfx");

    /// <summary>A client certificate from another CA: must be refused.</summary>
    public string StrangerPfxPath => Path.Combine(Folder, "stranger.pfx");

    public static TestCertificates Create()
    {
        var folder = Directory.CreateTempSubdirectory("opensqt-certs-").FullName;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=OpenSqt Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(Path.Combine(folder, "ca.cer"), ca.Export(X509ContentType.Cert));

        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        WriteLeaf(folder, "server.pfx", "CN=localhost", ca, san.Build(), new Oid("1.3.6.1.5.5.7.3.1"));
        WriteLeaf(folder, "client.pfx", "CN=opensqt-marketmaker", ca, null, new Oid("1.3.6.1.5.5.7.3.2"));

        using var strangerKey = RSA.Create(2048);
        var strangerCaRequest = new CertificateRequest("CN=Stranger CA", strangerKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        strangerCaRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var strangerCa = strangerCaRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        WriteLeaf(folder, "stranger.pfx", "CN=stranger", strangerCa, null, new Oid("1.3.6.1.5.5.7.3.2"));
        return new TestCertificates(folder);
    }

    private static void WriteLeaf(string folder, string file, string subject, X509Certificate2 issuer, X509Extension? san, Oid usage)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        using var certificate = request.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        using var withKey = certificate.CopyWithPrivateKey(key);
        File.WriteAllBytes(Path.Combine(folder, file), withKey.Export(X509ContentType.Pfx, Password));
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

using System.Text;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Tests.Credentials;

public sealed class ClaimsChallengeTests
{
    private const string Claims = """{"access_token":{"nbf":{"essential":true,"value":"1795000000"}}}""";

    [Fact]
    public void Parse_CaeChallenge_ReturnsDecodedClaims()
    {
        var header = $"Bearer authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", error=\"insufficient_claims\", claims=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(Claims))}\"";

        Assert.Equal(Claims, ClaimsChallenge.Parse(header));
    }

    [Fact]
    public void Parse_UrlSafeBase64WithoutPadding_ReturnsDecodedClaims()
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(Claims + " ")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        Assert.Equal(Claims + " ", ClaimsChallenge.Parse($"Bearer claims=\"{encoded}\""));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer error=\"invalid_token\"")]
    [InlineData("Bearer claims=\"not base64!\"")]
    [InlineData("Bearer claims=\"eyJ1bmNsb3NlZCI6")]
    [InlineData("Bearer xclaims=\"e30=\"")]
    public void Parse_NoValidChallenge_ReturnsNull(string? header) =>
        Assert.Null(ClaimsChallenge.Parse(header));

    [Fact]
    public void Parse_ClaimsNotJsonObject_ReturnsNull() =>
        Assert.Null(ClaimsChallenge.Parse($"Bearer claims=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes("[1,2]"))}\""));

    [Fact]
    public void Parse_HeaderOverLimit_ReturnsNull()
    {
        var padding = new string('x', ClaimsChallenge.MaxHeaderLength);
        var header = $"Bearer realm=\"{padding}\", claims=\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(Claims))}\"";

        Assert.Null(ClaimsChallenge.Parse(header));
    }
}

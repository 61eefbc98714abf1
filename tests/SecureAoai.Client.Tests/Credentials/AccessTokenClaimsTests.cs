using System.Text;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Tests.Credentials;

public sealed class AccessTokenClaimsTests
{
    private static string Bearer(string payloadJson) =>
        "Bearer eyJhbGciOiJSUzI1NiJ9." + Convert.ToBase64String(Encoding.UTF8.GetBytes(payloadJson)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".c2lnbmF0dXJl";

    [Fact]
    public void FromAuthorizationHeader_EntraToken_ReadsTheClaimsThatExplainARefusal()
    {
        var claims = AccessTokenClaims.FromAuthorizationHeader(Bearer(
            """{"aud":"https://cognitiveservices.azure.com","tid":"t-1","oid":"o-1","appid":"a-1","exp":1700000000}"""));

        Assert.NotNull(claims);
        Assert.Equal(["https://cognitiveservices.azure.com"], claims.Audiences);
        Assert.Equal(("t-1", "o-1", "a-1"), (claims.TenantId, claims.ObjectId, claims.AppId));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1700000000), claims.ExpiresOn);
        Assert.True(claims.HasAcceptedAudience);
    }

    [Theory]
    [InlineData("https://ai.azure.com/", true)]
    [InlineData("https://storage.azure.com", false)]
    public void HasAcceptedAudience_ByAudience(string audience, bool accepted)
    {
        var claims = AccessTokenClaims.FromAuthorizationHeader(Bearer($$"""{"aud":["{{audience}}"]}"""));

        Assert.Equal(accepted, claims!.HasAcceptedAudience);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer an-api-key-not-a-jwt")]
    [InlineData("Bearer a.!!!.c")]
    [InlineData("Bearer a.bm90IGpzb24.c")]
    public void FromAuthorizationHeader_NotAReadableJwt_Null(string? header)
    {
        Assert.Null(AccessTokenClaims.FromAuthorizationHeader(header));
    }
}

using System.Text;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Tests.Internal;

public sealed class AzureErrorBodyTests
{
    private static AzureErrorBody Parse(string json) => AzureErrorBody.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Parse_ResourceShape_ReadsCodeAndMessage()
    {
        var error = Parse("""{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}""");

        Assert.Equal("PermissionDenied", error.Code);
        Assert.Equal("Principal does not have access to API/Operation.", error.Message);
        Assert.True(error.IsPermissionDenied);
    }

    [Fact]
    public void Parse_GatewayBareShape_ReadsMessageWithoutCode()
    {
        var error = Parse("""{"statusCode":401,"message":"Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired."}""");

        Assert.Null(error.Code);
        Assert.StartsWith("Unauthorized. Access token is missing", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsPermissionDenied);
    }

    [Fact]
    public void Parse_NumericCode_ReadAsText()
    {
        Assert.Equal("401", Parse("""{"error":{"code":401,"message":"x"}}""").Code);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"message":"no status code"}""")]
    [InlineData("""{"error":"a string"}""")]
    public void Parse_NotAnAzureShape_Unreadable(string body)
    {
        Assert.Same(AzureErrorBody.Unreadable, Parse(body));
    }

    [Fact]
    public void Parse_OverTheLimit_NotParsed()
    {
        var padded = """{"error":{"code":"PermissionDenied","message":" """ + new string('x', AzureErrorBody.MaxBytes) + "\"}}";

        Assert.Same(AzureErrorBody.Unreadable, Parse(padded));
    }

    [Fact]
    public async Task ReadAsync_HttpResponse_ReadsTheErrorAndLeavesTheBodyReadableWithItsHeaders()
    {
        const string Body = """{"error":{"code":"PermissionDenied","message":"Principal does not have access to API/Operation."}}""";
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized) { Content = new StringContent(Body, Encoding.UTF8, "application/json") };

        var error = await AzureErrorBody.ReadAsync(response, CancellationToken.None);

        Assert.True(error.IsPermissionDenied);
        Assert.Equal(Body, await response.Content.ReadAsStringAsync());
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ReadAsync_HttpResponseOverTheLimit_KeepsOneByteMoreAndParsesNothing()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.Unauthorized) { Content = new ByteArrayContent(new byte[AzureErrorBody.MaxBytes * 3]) };

        var error = await AzureErrorBody.ReadAsync(response, CancellationToken.None);

        Assert.Same(AzureErrorBody.Unreadable, error);
        Assert.Equal(AzureErrorBody.MaxBytes + 1, (await response.Content.ReadAsByteArrayAsync()).Length);
    }
}

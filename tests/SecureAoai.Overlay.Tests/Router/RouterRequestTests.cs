using System.Text;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay.Tests.Router;

public sealed class RouterRequestTests
{
    [Fact]
    public void TryParse_DialWithoutWeight_IsAcceptedWithWeightOne()
    {
        var request = RouterRequest.TryParse(Encoding.UTF8.GetBytes("""{"op":"dial","service":"echo"}"""));

        Assert.NotNull(request);
        Assert.Equal(1, request.Weight);
    }

    [Fact]
    public void TryParse_WeightZero_IsRefused()
    {
        Assert.Null(RouterRequest.TryParse(Encoding.UTF8.GetBytes("""{"op":"bind","service":"echo","weight":0}""")));
    }
}

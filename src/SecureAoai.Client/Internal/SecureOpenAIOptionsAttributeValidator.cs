using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Internal;

/// <summary>Checks the data-annotation attributes of the options, generated at build time.</summary>
[OptionsValidator]
internal sealed partial class SecureOpenAIOptionsAttributeValidator : IValidateOptions<SecureOpenAIOptions>
{
}

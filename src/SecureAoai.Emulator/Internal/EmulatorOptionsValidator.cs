namespace SecureAoai.Emulator.Internal;

/// <summary>Adds the documented defaults to empty lists and refuses settings that cannot work, before anything listens.</summary>
internal static class EmulatorOptionsValidator
{
    private const int MaxPort = 65535;

    public static void ApplyDefaultsAndValidate(EmulatorOptions options)
    {
        if (options.Instances.Count == 0)
        {
            options.Instances.Add(new EmulatorInstanceOptions());
        }

        if (options.Identities.Count == 0)
        {
            options.Identities.Add(new EmulatorIdentity { ClientId = EmulatorOptions.DefaultClientId, HasOpenAIUserRole = true });
        }

        if (options.Federations.Count == 0)
        {
            options.Federations.Add(new EmulatorFederation { ClientId = options.Identities[0].ClientId });
        }

        var problems = new List<string>();
        Require(problems, options.TokenLifetime > TimeSpan.Zero, $"TokenLifetime must be positive, not {options.TokenLifetime}.");
        Require(problems, !string.IsNullOrWhiteSpace(options.TenantId), "TenantId is empty.");
        Require(problems, !string.IsNullOrWhiteSpace(options.AppServiceIdentityHeader), "AppServiceIdentityHeader is empty.");
        Require(problems, options.TimeProvider is not null, "TimeProvider is null; leave it as TimeProvider.System or set a fake one.");
        ValidateInstances(options.Instances, problems);
        ValidateGateways(options, problems);
        foreach (string name in options.ServerHostNames)
        {
            Require(problems, Uri.CheckHostName(name) == UriHostNameType.Dns, $"ServerHostNames entry '{name}' is not a DNS host name.");
        }

        foreach (EmulatorIdentity identity in options.Identities)
        {
            Require(problems, !string.IsNullOrWhiteSpace(identity.ClientId), "An identity has an empty ClientId.");
            Require(problems, !string.IsNullOrWhiteSpace(identity.ObjectId), $"Identity '{identity.ClientId}' has an empty ObjectId.");
        }

        foreach (IGrouping<string, EmulatorIdentity> duplicate in options.Identities.GroupBy(i => i.ClientId, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Identity client id '{duplicate.Key}' appears {duplicate.Count()} times.");
        }

        foreach (EmulatorFederation federation in options.Federations)
        {
            bool complete = new[] { federation.Issuer, federation.Subject, federation.Audience, federation.ClientId }.All(v => !string.IsNullOrWhiteSpace(v));
            Require(problems, complete, $"Federation for client '{federation.ClientId}' needs Issuer, Subject, Audience and ClientId.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("The emulator options are invalid: " + string.Join(" ", problems), nameof(options));
        }
    }

    private static void ValidateInstances(List<EmulatorInstanceOptions> instances, List<string> problems)
    {
        foreach (EmulatorInstanceOptions instance in instances)
        {
            Require(problems, !string.IsNullOrWhiteSpace(instance.Name), "An instance has an empty Name.");
            Require(problems, instance.Port is >= 0 and <= MaxPort, $"Instance '{instance.Name}' has port {instance.Port}; use 0 (ephemeral) to {MaxPort}.");
            Require(problems, !string.IsNullOrEmpty(instance.ApiKey), $"Instance '{instance.Name}' has an empty ApiKey.");
            Require(problems, instance.Deployments.Keys.All(k => !string.IsNullOrWhiteSpace(k)), $"Instance '{instance.Name}' has a deployment with an empty name.");
            foreach ((string name, EmulatorDeployment? deployment) in instance.Deployments)
            {
                Require(problems, deployment is not null, $"Instance '{instance.Name}', deployment '{name}': the deployment is null; give it an EmulatorDeployment.");
                Require(problems, deployment?.Model is null || !string.IsNullOrWhiteSpace(deployment.Model), $"Instance '{instance.Name}', deployment '{name}': Model is blank; set a model version such as \"gpt-4o-2024-08-06\" or leave it null for the default.");
            }

            Require(problems, instance.RateLimitWindow > TimeSpan.Zero, $"Instance '{instance.Name}' has RateLimitWindow {instance.RateLimitWindow}; it must be positive.");
            foreach ((string deployment, EmulatorRateLimit limit) in instance.RateLimits)
            {
                string? problem = limit?.Validate() ?? (limit is null ? "the limit is null" : null);
                Require(problems, problem is null, $"Instance '{instance.Name}', rate limit of '{deployment}': {problem}");
            }

            foreach (string cidr in instance.AllowedSourceCidrs)
            {
                try
                {
                    SourceNetworkList.Parse(cidr);
                }
                catch (FormatException ex)
                {
                    problems.Add($"Instance '{instance.Name}': {ex.Message}");
                }
            }
        }

        foreach (IGrouping<string, EmulatorInstanceOptions> duplicate in instances.GroupBy(i => i.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Instance name '{duplicate.Key}' appears {duplicate.Count()} times.");
        }

        foreach (IGrouping<int, EmulatorInstanceOptions> duplicate in instances.Where(i => i.Port != 0).GroupBy(i => i.Port).Where(g => g.Count() > 1))
        {
            problems.Add($"Port {duplicate.Key} is given to {duplicate.Count()} instances.");
        }
    }

    private static void ValidateGateways(EmulatorOptions options, List<string> problems)
    {
        var instances = new HashSet<string>(options.Instances.Select(i => i.Name), StringComparer.OrdinalIgnoreCase);
        foreach (EmulatorGatewayOptions gateway in options.Gateways)
        {
            string name = gateway.Name;
            Require(problems, !string.IsNullOrWhiteSpace(name), "A gateway has an empty Name.");
            Require(problems, gateway.Port is >= 0 and <= MaxPort, $"Gateway '{name}' has port {gateway.Port}; use 0 (ephemeral) to {MaxPort}.");
            Require(
                problems,
                gateway.PathPrefix is { Length: > 1 } prefix && prefix[0] == '/' && prefix.Trim('/').Length > 0
                    && Uri.IsWellFormedUriString(prefix, UriKind.Relative) && !prefix.Contains('?', StringComparison.Ordinal) && !prefix.Contains('#', StringComparison.Ordinal),
                $"Gateway '{name}' has PathPrefix '{gateway.PathPrefix}'; give the API's URL suffix, a path such as /aoai.");
            Require(problems, !string.IsNullOrEmpty(gateway.SubscriptionKey), $"Gateway '{name}' has an empty SubscriptionKey.");
            Require(problems, !string.IsNullOrWhiteSpace(gateway.SubscriptionKeyHeader) && !gateway.SubscriptionKeyHeader.Any(char.IsWhiteSpace), $"Gateway '{name}' has SubscriptionKeyHeader '{gateway.SubscriptionKeyHeader}'; give a header name such as {EmulatorGatewayOptions.DefaultSubscriptionKeyHeader}.");
            Require(problems, gateway.Audience is null || !string.IsNullOrWhiteSpace(gateway.Audience), $"Gateway '{name}' has a blank Audience; set the audience tokens must be for, or null for none.");
            Require(problems, gateway.ManagedIdentity is { ClientId.Length: > 0, ObjectId.Length: > 0 }, $"Gateway '{name}' needs a ManagedIdentity with a ClientId and an ObjectId.");
            Require(problems, gateway.BreakerTripDuration > TimeSpan.Zero, $"Gateway '{name}' has BreakerTripDuration {gateway.BreakerTripDuration}; it must be positive.");
            foreach (string backend in gateway.Backends.Where(b => !instances.Contains(b)))
            {
                problems.Add($"Gateway '{name}' lists backend '{backend}', which is not an instance; the instances are: {string.Join(", ", instances)}.");
            }

            foreach (string host in gateway.HostNames)
            {
                Require(problems, Uri.CheckHostName(host) == UriHostNameType.Dns, $"Gateway '{name}': HostNames entry '{host}' is not a DNS host name.");
            }
        }

        foreach (IGrouping<string, EmulatorGatewayOptions> duplicate in options.Gateways.GroupBy(g => g.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"Gateway name '{duplicate.Key}' appears {duplicate.Count()} times.");
        }

        var ports = options.Instances.Select(i => i.Port).Concat(options.Gateways.Select(g => g.Port)).Where(p => p != 0);
        foreach (IGrouping<int, int> duplicate in ports.GroupBy(p => p).Where(g => g.Count() > 1 && options.Gateways.Any(gw => gw.Port == g.Key)))
        {
            problems.Add($"Port {duplicate.Key} is given to a gateway and another listener.");
        }
    }

    private static void Require(List<string> problems, bool condition, string problem)
    {
        if (!condition)
        {
            problems.Add(problem);
        }
    }
}

using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using FlashSale.Server.Apis;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace FlashSale.Server.Hosting;

/// <summary>
/// The API description, <c>GET /openapi/v1.json</c> (OpenAPI 3.1; mapped with the API, <see cref="FlashSaleApis"/>). Its
/// operations and their success answers come from the routes' typed results; what the routes add (<see cref="ApiDescription"/>)
/// is written in here: the JSON bodies handlers read themselves, the problem answers with their codes, the two ways to
/// sign in (bearer JWT for buyers, <c>X-Admin-Key</c> for admins), and the endpoints that are not route handlers. The
/// schemas come from the API's own source-generated JSON (the HTTP JSON options), so they describe what is sent.
/// </summary>
public static class OpenApiHosting
{
    public const string BearerScheme = "bearer";
    public const string AdminKeyScheme = "adminKey";
    private const string ProblemSchema = "ProblemDetails";

    public static WebApplicationBuilder AddFlashSaleOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            // The problem body is the RFC 9457 problem details with FlashSale's code.
            options.CreateSchemaReferenceId = type => type.Type == typeof(ProblemBody) ? ProblemSchema : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddSchemaTransformer(DescribeSchemaAsync);
            options.AddOperationTransformer(DescribeOperationAsync);
            options.AddDocumentTransformer(DescribeDocumentAsync);
        });
        builder.Services.AddOutputCache();
        return builder;
    }

    /// <summary>The document's path: generating it takes a good tenth of a second of CPU, so it is made once and kept.</summary>
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>
    /// Serves the document from memory after its first request, whoever asks (an anonymous caller could otherwise keep
    /// an API process busy generating it). The output cache runs for this one path only: no other request meets it.
    /// </summary>
    public static WebApplication UseOpenApiDocumentCache(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.Equals(DocumentPath, StringComparison.Ordinal), branch => branch.UseOutputCache());
        return app;
    }

    /// <summary>The document's cache: kept for a day, the same for every caller (signed in or not, any query).</summary>
    public static IEndpointConventionBuilder CachedDocument(this IEndpointConventionBuilder endpoint) => endpoint.CacheOutput(DocumentCache.Instance);

    /// <summary>
    /// Unlike the output cache's default policy, which never serves a request with an <c>Authorization</c> header from the
    /// cache (so a made-up header would get a fresh document each time), this one keeps one copy for everyone.
    /// </summary>
    private sealed class DocumentCache : Microsoft.AspNetCore.OutputCaching.IOutputCachePolicy
    {
        public static readonly DocumentCache Instance = new();

        public ValueTask CacheRequestAsync(Microsoft.AspNetCore.OutputCaching.OutputCacheContext context, CancellationToken cancellation)
        {
            context.EnableOutputCaching = true;
            context.AllowCacheLookup = true;
            context.AllowCacheStorage = true;
            context.AllowLocking = true; // many callers at once: one generation, the others wait for it
            context.ResponseExpirationTimeSpan = TimeSpan.FromDays(1);
            return ValueTask.CompletedTask;
        }

        public ValueTask ServeFromCacheAsync(Microsoft.AspNetCore.OutputCaching.OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

        public ValueTask ServeResponseAsync(Microsoft.AspNetCore.OutputCaching.OutputCacheContext context, CancellationToken cancellation)
        {
            if (context.HttpContext.Response.StatusCode != StatusCodes.Status200OK) context.AllowCacheStorage = false;
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>
    /// What the generator would say otherwise than the API does. Numbers: the API writes JSON numbers; its readers (the Web
    /// defaults) also take a string of digits, which would read <c>["integer", "string"]</c> with a pattern; clients are
    /// told to send numbers. Nulls: every JSON context leaves a null member out (WhenWritingNull), so no member is ever
    /// null; it is absent, and required only when its type cannot be null or it is marked [Required] (a request member the
    /// handler refuses to go without; nullable there so that its 400 can say which).
    /// </summary>
    private static Task DescribeSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0 && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type &= ~JsonSchemaType.String;
            schema.Pattern = null;
        }
        if (context.JsonPropertyInfo is not null && schema.Type is { } memberType && memberType != JsonSchemaType.Null)
        {
            schema.Type = memberType & ~JsonSchemaType.Null;
        }
        if (context.JsonPropertyInfo is null && context.JsonTypeInfo.Kind == JsonTypeInfoKind.Object && schema.Properties is { Count: > 0 } members)
        {
            schema.Required = context.JsonTypeInfo.Properties.Where(p => members.ContainsKey(p.Name) && IsRequired(p)).Select(p => p.Name).ToHashSet();
        }
        return Task.CompletedTask;
    }

    private static bool IsRequired(JsonPropertyInfo member) =>
        member.AttributeProvider?.IsDefined(typeof(RequiredAttribute), inherit: false) == true
        || (member.PropertyType.IsValueType ? Nullable.GetUnderlyingType(member.PropertyType) is null : !member.IsGetNullable);

    private static async Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var document = context.Document!;
        if (metadata.OfType<JsonBodyMetadata>().LastOrDefault() is { } body)
        {
            operation.RequestBody = new OpenApiRequestBody
            {
                Required = !body.Optional,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = await ComponentAsync(document, body.Type, t => context.GetOrCreateSchemaAsync(t, null, cancellationToken)) },
                },
            };
        }
        DescribeProblems(operation, document, metadata.OfType<ProblemAnswers>().SelectMany(a => a.Problems).Append(ErrorHandling.Internal));
        DescribeSecurity(operation, document, metadata);
        DeclarePathParameters(operation, context.Description.RelativePath ?? "");
    }

    /// <summary>Each problem status: its codes in the description and in <see cref="ApiDescription.ProblemCodesExtension"/>, Retry-After where one is sent.</summary>
    private static void DescribeProblems(OpenApiOperation operation, OpenApiDocument document, IEnumerable<ProblemResult> problems)
    {
        var codes = new JsonObject();
        operation.Responses ??= [];
        foreach (var status in problems.DistinctBy(p => (p.StatusCode, p.Code)).GroupBy(p => p.StatusCode!.Value).OrderBy(g => g.Key))
        {
            var key = status.Key.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!operation.Responses.TryGetValue(key, out var existing) || existing is not OpenApiResponse response)
            {
                response = new OpenApiResponse
                {
                    Content = new Dictionary<string, OpenApiMediaType> { [ProblemResult.MediaType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) } },
                };
                operation.Responses[key] = response;
            }
            response.Description = string.Join("; ", status.Select(p => $"{p.Code} ({p.Title})"));
            if (status.Any(p => p.RetryAfterSeconds is not null))
            {
                response.Headers ??= new Dictionary<string, IOpenApiHeader>();
                response.Headers["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before trying again (with the same requestId, for a purchase).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                };
            }
            codes[key] = new JsonArray([.. status.Select(p => (JsonNode)p.Code)]);
        }
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[ApiDescription.ProblemCodesExtension] = new JsonNodeExtension(codes);
        var byStatus = operation.Responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        operation.Responses.Clear();
        foreach (var (status, response) in byStatus) operation.Responses[status] = response;
    }

    /// <summary>Buyers' calls (RequireAuthorization) take the bearer JWT; admins' the X-Admin-Key header (optional where it only shows more).</summary>
    private static void DescribeSecurity(OpenApiOperation operation, OpenApiDocument document, IList<object> metadata)
    {
        AddSecuritySchemes(document);
        if (metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any())
        {
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] });
        }
        if (metadata.OfType<AdminKeyMetadata>().LastOrDefault() is { } adminKey)
        {
            operation.Security ??= [];
            if (!adminKey.IsRequired) operation.Security.Add(new OpenApiSecurityRequirement()); // anyone; an admin sees more
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AdminKeyScheme, document)] = [] });
        }
    }

    private static void AddSecuritySchemes(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes.TryAdd(BearerScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A user token: HS256, sub = the user id (POST /api/dev/token issues one where dev tokens are enabled).",
        });
        document.Components.SecuritySchemes.TryAdd(AdminKeyScheme, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = AdminApi.AdminKeyHeader,
            Description = "The deployment's admin key (FlashSale:AdminKey); repeated wrong keys are throttled (429).",
        });
    }

    /// <summary>Every {parameter} of the route is a path parameter, also one the handler does not bind (the sale page's saleId).</summary>
    private static void DeclarePathParameters(OpenApiOperation operation, string relativePath)
    {
        foreach (var segment in relativePath.Split('/').Where(s => s.StartsWith('{') && s.EndsWith('}')))
        {
            var name = segment[1..^1].TrimStart('*').Split(':', '=')[0].TrimEnd('?');
            if (operation.Parameters?.Any(p => p.In == ParameterLocation.Path && p.Name == name) == true) continue;
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
        }
    }

    private static async Task DescribeDocumentAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "FlashSale API",
            Version = "v1",
            Description = "JSON, camelCase; ids are strings. Errors are application/problem+json with a machine-readable code: each " +
                          $"operation lists its codes by status in {ApiDescription.ProblemCodesExtension}. Buyers sign in with a bearer JWT, " +
                          $"admins with the {AdminApi.AdminKeyHeader} header.",
        };
        AddSecuritySchemes(document);
        // Endpoints that are not route handlers (the health checks) are described by their metadata.
        var endpoints = context.ApplicationServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<DescribedEndpoint>() is not { } described) continue;
            var schema = await ComponentAsync(document, described.BodyType, t => context.GetOrCreateSchemaAsync(t, null, cancellationToken));
            document.Tags ??= new HashSet<OpenApiTag>();
            if (!document.Tags.Any(t => t.Name == described.Tag)) document.Tags.Add(new OpenApiTag { Name = described.Tag });
            var operation = new OpenApiOperation { Summary = described.Summary, Tags = new HashSet<OpenApiTagReference> { new(described.Tag, document) }, Responses = [] };
            foreach (var status in described.Statuses)
            {
                operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new OpenApiResponse
                {
                    Description = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
                    Content = new Dictionary<string, OpenApiMediaType> { [described.ContentType] = new() { Schema = schema } },
                };
            }
            var path = "/" + endpoint.RoutePattern.RawText!.TrimStart('/');
            document.Paths ??= [];
            if (!document.Paths.TryGetValue(path, out var item) || item is not OpenApiPathItem pathItem) document.Paths[path] = pathItem = new OpenApiPathItem();
            pathItem.Operations ??= [];
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [HttpMethods.Get])
            {
                pathItem.Operations[HttpMethod.Parse(method)] = operation;
            }
        }
    }

    /// <summary>A reference to <paramref name="type"/>'s schema among the components (named as the generator names them), added when missing.</summary>
    private static async Task<IOpenApiSchema> ComponentAsync(OpenApiDocument document, Type type, Func<Type, Task<OpenApiSchema>> create)
    {
        var id = type.Name;
        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(id)) document.AddComponent(id, await create(type));
        return new OpenApiSchemaReference(id, document);
    }
}

namespace FlashSale.Server.Http;

/// <summary>
/// What the API description (<c>GET /openapi/v1.json</c>, Hosting/OpenApiHosting.cs) learns from a route beyond its typed
/// results: the problems it can answer, the JSON body its handler reads itself, who may call it, and a description for
/// an endpoint that is not a route handler (the health checks). Endpoint metadata only, read at start-up: nothing here
/// runs on a request.
/// </summary>
public static class ApiDescription
{
    /// <summary>The operation's problem codes by status (<c>{"404": ["sale_not_found"], ...}</c>).</summary>
    public const string ProblemCodesExtension = "x-problem-codes";

    /// <summary>
    /// The call can answer these problems: each status is described as <c>application/problem+json</c> with the
    /// <see cref="ProblemBody"/> schema, and its codes are listed (<see cref="ProblemCodesExtension"/>). Also on a group:
    /// its calls get the group's problems and their own.
    /// </summary>
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, params IEnumerable<ProblemResult> problems) where TBuilder : IEndpointConventionBuilder
    {
        var answers = new ProblemAnswers([.. problems]);
        builder.WithMetadata(answers);
        foreach (var status in answers.Problems.Select(p => p.StatusCode!.Value).Distinct())
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemBody), [ProblemResult.MediaType]));
        }
        return builder;
    }

    /// <summary>
    /// The handler reads a JSON body of type <typeparamref name="T"/> itself (<see cref="JsonBody"/>), with its refusals: a
    /// body that is not JSON of this shape (400), too long (413) or too slow (408). Not <c>Accepts&lt;T&gt;</c>: routing
    /// would answer a wrong Content-Type with a bare 415 instead of the handler's 400 invalid_request.
    /// </summary>
    /// <param name="optional">The call works without a body (pay: the default provider).</param>
    public static RouteHandlerBuilder Takes<T>(this RouteHandlerBuilder builder, bool optional = false) =>
        builder.WithMetadata(new JsonBodyMetadata(typeof(T), optional))
            .Refuses(Problems.InvalidRequest("The body is not JSON of this call's shape."), Problems.BodyTooLarge(JsonBody.MaxBytes), Problems.RequestTimeout);

    /// <summary>The call needs the right <c>X-Admin-Key</c> (the admin group's filter) or, <paramref name="optional"/>, shows more with it.</summary>
    public static TBuilder WithAdminKey<TBuilder>(this TBuilder builder, bool optional = false) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(optional ? AdminKeyMetadata.Optional : AdminKeyMetadata.Required);

    /// <summary>
    /// Describes an endpoint that is not a route handler (the API description sees only those), as a GET when it takes
    /// any method: its answers by status, each with <typeparamref name="TBody"/> as <paramref name="contentType"/>.
    /// </summary>
    public static IEndpointConventionBuilder DescribedAs<TBody>(this IEndpointConventionBuilder builder, string tag, string summary, string contentType, params int[] statuses) =>
        builder.WithMetadata(new DescribedEndpoint(tag, summary, typeof(TBody), contentType, statuses));
}

/// <summary>The problems a call can answer (<see cref="ApiDescription.Refuses"/>); a group's and the call's own add up.</summary>
public sealed class ProblemAnswers(IReadOnlyList<ProblemResult> problems)
{
    public IReadOnlyList<ProblemResult> Problems { get; } = problems;
}

/// <summary>The JSON body a handler reads itself (<see cref="ApiDescription.Takes"/>).</summary>
public sealed record JsonBodyMetadata(Type Type, bool Optional);

/// <summary>The call takes the <c>X-Admin-Key</c> header: required (the admin group) or optional (it shows admins more).</summary>
public sealed record AdminKeyMetadata(bool IsRequired)
{
    public static readonly AdminKeyMetadata Required = new(true);
    public static readonly AdminKeyMetadata Optional = new(false);
}

/// <summary>The description of an endpoint that is not a route handler (<see cref="ApiDescription.DescribedAs"/>).</summary>
public sealed record DescribedEndpoint(string Tag, string Summary, Type BodyType, string ContentType, IReadOnlyList<int> Statuses);

using System.Diagnostics;
using System.Xml.Linq;
using FlashSale.Deploy.Tests.Infrastructure;

namespace FlashSale.Deploy.Tests;

/// <summary>
/// The Dockerfile, read as docker would read it (no Docker engine here to build it): an SDK build stage that restores from
/// the project files alone, then publishes the server; an ASP.NET Core runtime stage that runs it as a non-root user with
/// a HEALTHCHECK, whose command is run here against a live server.
/// </summary>
public sealed class DockerfileTests
{
    private static readonly Dockerfile Docker = Dockerfile.Load();

    private static Stage Build => Docker.Stages[0];

    [Fact]
    public void It_builds_with_the_sdk_and_runs_on_the_aspnet_runtime()
    {
        Docker.Stages.Should().HaveCountGreaterThanOrEqualTo(2, "a multi-stage build: the SDK stays out of the image");
        Build.Image.Should().Be("mcr.microsoft.com/dotnet/sdk:10.0");
        Docker.Final.Image.Should().Be("mcr.microsoft.com/dotnet/aspnet:10.0");
        var copy = Docker.Final.Instructions.Single(i => i.Keyword == "COPY");
        copy.Words.Should().Contain($"--from={Build.Name}", "the runtime stage takes only the published output");
        copy.Words.Should().Contain(PublishOutput);
    }

    [Fact]
    public void The_restore_layer_holds_every_project_the_server_needs_and_nothing_else_of_the_sources()
    {
        var restore = Build.Instructions.Single(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet restore", StringComparison.Ordinal));
        var before = Build.Instructions.TakeWhile(i => i != restore).Where(i => i.Keyword == "COPY").ToList();
        var copied = before.SelectMany(CopiedFiles).ToList();

        copied.Should().Contain(ProjectClosure(DeployFiles.ServerProject).Select(Relative), "restore needs every project the server references");
        copied.Should().Contain(BuildSettingsFiles().Select(Relative), "restore needs the central package versions and build settings");
        copied.Should().OnlyContain(f => !f.EndsWith(".cs", StringComparison.Ordinal) && !f.EndsWith('/'),
            "the restore layer is reused until a project file changes: no sources before it");
        restore.Words.Should().Contain(Relative(DeployFiles.ServerProject));
    }

    [Fact]
    public void It_publishes_the_server_project_and_its_entry_point_runs_it()
    {
        var publish = Build.Instructions.Single(i => i.Keyword == "RUN" && i.Arguments.StartsWith("dotnet publish", StringComparison.Ordinal));
        var project = publish.Words[2];
        File.Exists(Path.Combine(DeployFiles.Root, project)).Should().BeTrue($"{publish} publishes a project that exists");
        Path.GetFullPath(Path.Combine(DeployFiles.Root, project)).Should().Be(DeployFiles.ServerProject);
        publish.Words.Should().Contain("--no-restore").And.Contain(PublishOutput);

        var assembly = (string?)XDocument.Load(DeployFiles.ServerProject).Descendants("AssemblyName").FirstOrDefault() ?? Path.GetFileNameWithoutExtension(project);
        var entryPoint = Docker.Final.Instructions.Last(i => i.Keyword == "ENTRYPOINT");
        entryPoint.ExecForm(entryPoint.Arguments).Should().Equal("dotnet", $"{assembly}.dll");
        Docker.Final.Instructions.Single(i => i.Keyword == "WORKDIR").Arguments.Should().Be("/app", "the entry point's dll is where the output was copied");
    }

    [Fact]
    public void It_runs_as_a_non_root_user_and_exposes_the_port_it_listens_on()
    {
        var user = Docker.Final.Instructions.LastOrDefault(i => i.Keyword == "USER");
        user.Should().NotBeNull("the runtime stage names its user");
        user!.Arguments.Should().BeOneOf(["$APP_UID", "${APP_UID}", "app"], "the base image's non-root user");
        Docker.Final.Instructions.SkipWhile(i => i != user).Should().NotContain(i => i.Keyword == "RUN", "nothing runs as root after it either");
        Docker.Final.Instructions.Single(i => i.Keyword == "EXPOSE").Arguments.Should().Be("8080", "the aspnet image's ASPNETCORE_HTTP_PORTS");
    }

    [Fact]
    public void The_build_context_leaves_out_the_hosts_build_output()
    {
        var ignored = File.ReadAllLines(DeployFiles.DockerIgnore).Select(l => l.Trim()).ToList();

        ignored.Should().Contain(["**/bin/", "**/obj/"], "a host's obj/ holds its own restore, which would break the image's");
        ignored.Should().Contain("**/.env", "deploy/.env holds the compose secrets");
    }

    [Fact]
    public void Its_healthcheck_asks_health_live_and_passes_only_while_the_server_answers()
    {
        Docker.HealthCheckPath.Should().Be("/health/live");
        var command = Docker.HealthCheckCommand;
        command[0].Should().Be("bash", "the aspnet image has neither curl nor wget");
    }

    [Fact]
    public async Task Its_healthcheck_command_passes_against_a_live_server_and_fails_against_none()
    {
        using var database = new EmbeddedDatabase();
        await using var server = ServerProcess.Embedded(database.Path);
        await server.StartAsync();

        (await RunHealthCheckAsync(server.Port)).Should().Be(0, "the server answers /health/live");
        (await RunHealthCheckAsync(TestServices.FreePort())).Should().NotBe(0, "nothing listens there");
    }

    private static async Task<int> RunHealthCheckAsync(int port)
    {
        var command = Docker.HealthCheckCommand;
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        info.Environment["ASPNETCORE_HTTP_PORTS"] = $"{port}"; // what the aspnet image sets (8080)
        using var process = Process.Start(info)!;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // the HEALTHCHECK's own timeout is shorter
        await process.WaitForExitAsync(deadline.Token);
        return process.ExitCode;
    }

    private const string PublishOutput = "/app/publish";

    /// <summary>The files a COPY from the build context puts where they are in the repository (relative paths), e.g. src/X/X.csproj.</summary>
    private static IEnumerable<string> CopiedFiles(Instruction copy)
    {
        var words = copy.Words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
        var destination = words[^1] == "./" ? "" : words[^1];
        foreach (var source in words[..^1])
        {
            var landed = destination.EndsWith('/') ? destination + Path.GetFileName(source.TrimEnd('/')) : destination.Length == 0 ? source : destination;
            landed.Should().Be(source, $"{copy} puts {source} where the repository has it (relative to WORKDIR)");
            yield return source;
        }
    }

    /// <summary>A project and every project it references, directly or not.</summary>
    private static IReadOnlyCollection<string> ProjectClosure(string project)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var next))
        {
            if (!found.Add(next)) continue;
            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
            {
                var include = ((string)reference.Attribute("Include")!).Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include)));
            }
        }
        return found;
    }

    /// <summary>The files MSBuild and the SDK read besides the projects: Directory.*.props/targets above the server, global.json, NuGet.config.</summary>
    private static IEnumerable<string> BuildSettingsFiles()
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(DeployFiles.ServerProject)!); dir is not null; dir = dir.Parent)
        {
            foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "NuGet.config", "nuget.config" })
            {
                if (File.Exists(Path.Combine(dir.FullName, name))) yield return Path.Combine(dir.FullName, name);
            }
            if (dir.FullName == DeployFiles.Root) break;
        }
    }

    private static string Relative(string path) => Path.GetRelativePath(DeployFiles.Root, path).Replace('\\', '/');
}

namespace OpenSqt.AppHost;

public static class ProjectEndpoints
{
    /// <summary>
    /// The services serve cleartext gRPC and HTTP behind the platform's ingress or mesh (TLS, when wanted, comes from their
    /// own Kestrel certificate configuration); the https endpoint Aspire adds to web projects by default would only
    /// announce a port nothing listens on.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithoutDefaultHttps(this IResourceBuilder<ProjectResource> project)
    {
        foreach (var https in project.Resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.Name == "https").ToList())
        {
            project.Resource.Annotations.Remove(https);
        }

        return project;
    }
}

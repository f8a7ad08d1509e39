namespace MasterMcp.Gateway;

/// <summary>Something in the catalog that belongs to one backend.</summary>
public interface ICatalogEntry
{
    /// <summary>The id of the backend that owns it.</summary>
    string BackendId { get; }
}

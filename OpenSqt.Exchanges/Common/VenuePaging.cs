namespace OpenSqt.Exchanges.Common;

/// <summary>The paging loops of venue lists.</summary>
internal static class VenuePaging
{
    /// <summary>
    /// Reads pages of <paramref name="pageSize"/> at offsets 0, pageSize, ... until a page comes back short (fewer
    /// items than asked for) or <paramref name="maxPages"/> were read; <paramref name="readPage"/> answers how many
    /// items its page held.
    /// </summary>
    public static async Task ByOffsetAsync(int pageSize, int maxPages, Func<int, CancellationToken, Task<int>> readPage, CancellationToken cancellationToken)
    {
        for (var page = 0; page < maxPages; page++)
        {
            if (await readPage(page * pageSize, cancellationToken).ConfigureAwait(false) < pageSize)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Reads pages by cursor: the first without one, then each with the cursor the previous page answered, until a
    /// page answers none.
    /// </summary>
    public static async Task ByCursorAsync(Func<string?, CancellationToken, Task<string?>> readPage, CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            cursor = await readPage(cursor, cancellationToken).ConfigureAwait(false);
        }
        while (cursor is not null);
    }
}

using System.Security.Cryptography;
using System.Text;
using OpenSqt.Contracts;

namespace OpenSqt.VenueSimulators.Bitget;

public sealed partial class BitgetSimulator
{
    /// <summary>
    /// Bitget's wire vocabulary as its documentation states it, kept apart from the connector's constants so that a
    /// misunderstanding in the connector cannot pass its own test.
    /// </summary>
    internal static class Wire
    {
        public const string Venue = "bitget";

        // https://www.bitget.com/api-doc/contract/intro: productType USDT-FUTURES, margin coin USDT.
        public const string ProductType = "USDT-FUTURES";
        public const string MarginCoin = "USDT";

        // https://www.bitget.com/api-doc/common/signature: ACCESS-KEY, ACCESS-SIGN, ACCESS-TIMESTAMP, ACCESS-PASSPHRASE;
        // base64(HMAC-SHA256(secret, timestamp + method + path + ("?" + query) + body)); the WebSocket login signs
        // timestamp (seconds) + "GET" + "/user/verify" (https://www.bitget.com/api-doc/common/websocket-intro).
        public const string KeyHeader = "ACCESS-KEY";
        public const string SignHeader = "ACCESS-SIGN";
        public const string TimestampHeader = "ACCESS-TIMESTAMP";
        public const string PassphraseHeader = "ACCESS-PASSPHRASE";

        // Channels (https://www.bitget.com/api-doc/contract/websocket/private/Order-Channel, Positions-Channel,
        // Account-Channel; public/Tickers-Channel).
        public const string OrdersChannel = "orders";
        public const string PositionsChannel = "positions";
        public const string AccountChannel = "account";
        public const string TickerChannel = "ticker";

        // The public tape: "trade" pushes [{ts, price, size, side, tradeId}] (public/New-Trades-Channel push example);
        // "books1" one level a side, every push a snapshot [{asks, bids, checksum, seq, ts}] (public/Order-Book-Channel;
        // JKorf/Bitget.Net Objects/Models/V2/BitgetOrderBookUpdate.cs).
        public const string TradeChannel = "trade";
        public const string BookTopChannel = "books1";

        // Error codes (https://www.bitget.com/api-doc/contract/error-code/restapi; ccxt js/src/bitget.js exceptions).
        public const string TimestampExpired = "40008";
        public const string OrderDoesNotExist = "40768";
        public const string HedgeModeOrder = "40774";
        public const string Precision = "40808";
        public const string MinNotional = "45110";
        public const string NoPositionToClose = "22002";
        public const string DuplicateClientOid = "40786";

        // "Currently holding positions or orders, the margin mode cannot be adjusted" (CryptoRobotFr/Live-Tools-V2#2,
        // seen on set-margin-mode; answered here to an order whose marginMode differs from the contract's while the
        // account holds a position or orders on it (R)).
        public const string MarginModeLocked = "45117";

        // Rate limit (https://www.bitget.com/api-doc/common/faq Q11: "x-mbx-used-remain-limit", the remaining rate
        // limit per second of the API that answered).
        public const string RemainHeader = "x-mbx-used-remain-limit";

        public static string Force(TimeInForce tif) => tif switch
        {
            TimeInForce.Ioc => "ioc",
            TimeInForce.Fok => "fok",
            TimeInForce.Gtx => "post_only",
            _ => "gtc",
        };

        public static string LoginPayload(long seconds) => seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) + "GET/user/verify";

        public static bool Verify(string secret, string payload, string signature)
        {
            var expected = Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(payload)));
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
        }
    }
}

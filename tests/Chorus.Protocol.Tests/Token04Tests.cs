using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Chorus.Protocol;

namespace Chorus.Protocol.Tests;

public class Token04Tests
{
    private const string Secret = "0123456789abcdef0123456789abcdef";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void Generated_token_has_the_04_gcm_layout_and_verifies()
    {
        string token = Token04.Generate(42, "alice", Secret, 600, now: Now);
        Assert.StartsWith("04", token);
        byte[] record = Convert.FromBase64String(token[2..]);
        Assert.Equal(Now.ToUnixTimeSeconds() + 600, BinaryPrimitives.ReadInt64BigEndian(record));
        Assert.Equal(12, BinaryPrimitives.ReadUInt16BigEndian(record.AsSpan(8)));
        Assert.Equal(1, record[^1]);

        var check = Token04.Verify(token, 42, "alice", Secret, Now.AddSeconds(10));
        Assert.Equal(Token04Status.Valid, check.Status);
        Assert.Equal("alice", check.Claims!.UserId);
        Assert.Equal(42u, check.Claims.AppId);
    }

    [Fact]
    public void Known_answer_vector_encodes_to_a_fixed_token_and_decrypts_back()
    {
        // Computed outside .NET (Python's cryptography AESGCM) from this key, GCM nonce 00..0b and plaintext:
        // {"app_id":42,"user_id":"alice","nonce":123456,"ctime":1700000000,"expire":1700000600,"payload":""}
        const string Expected = "04AAAAAGVT81gADAABAgMEBQYHCAkKCwByVsfaDKlHu8iK5kWMXe2kd4N6XO5Ynk6pQbDS190HgKbTxFh9LJctIaMWj2nsgOFZWILwlCqKpPUYcwR+LCsvToEgAUlGSinOf1N5KslBPAg04fJAaE+VhfncKL7Gbal3zu1jHRY50XawpyVACiMRlXIKAQ==";
        var claims = new Token04Claims(42, "alice", 123456, 1_700_000_000, 1_700_000_600, "");
        byte[] nonce = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        Assert.Equal(Expected, Token04.Encode(claims, Secret, nonce));

        Assert.True(Token04.TryDecrypt(Expected, Secret, out var back, out _));
        Assert.Equal(claims, back);
        Assert.Equal(Token04Status.Valid, Token04.Verify(Expected, 42, "alice", Secret, Now).Status);
    }

    [Fact]
    public void Token_is_refused_for_another_app_user_secret_or_after_expiry()
    {
        string token = Token04.Generate(42, "alice", Secret, 600, now: Now);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 43, "alice", Secret, Now).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "bob", Secret, Now).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", "fedcba9876543210fedcba9876543210", Now).Status);
        Assert.Equal(Token04Status.Valid, Token04.Verify(token, 42, "alice", Secret, Now.AddSeconds(599)).Status);
        Assert.Equal(Token04Status.Expired, Token04.Verify(token, 42, "alice", Secret, Now.AddSeconds(600)).Status);
    }

    [Fact]
    public void Tampered_token_is_invalid()
    {
        string token = Token04.Generate(42, "alice", Secret, 600, now: Now);
        byte[] record = Convert.FromBase64String(token[2..]);
        record[30] ^= 0x01; // inside the ciphertext
        string tampered = "04" + Convert.ToBase64String(record);
        var check = Token04.Verify(tampered, 42, "alice", Secret, Now);
        Assert.Equal(Token04Status.Invalid, check.Status);
        Assert.DoesNotContain(Secret, check.Reason);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("03AAAA")]
    [InlineData("04")]
    [InlineData("04!!!notbase64")]
    [InlineData("04AAAAAAAAAAAAAA")]
    [InlineData("04AAAAAAAAAAAP//AAA=")]
    public void Malformed_tokens_are_invalid_without_throwing(string? token)
    {
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", Secret, Now).Status);
    }

    private static readonly Token04Policy Cbc = new() { AllowLegacyCbc = true };

    [Fact]
    public void Legacy_cbc_token_is_accepted_only_when_the_policy_allows_it()
    {
        string token = LegacyCbcToken.Make(42, "alice", Secret, Now.ToUnixTimeSeconds() + 600);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", Secret, Now).Status); // off by default
        var check = Token04.Verify(token, 42, "alice", Secret, Now, null, Cbc);
        Assert.Equal(Token04Status.Valid, check.Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", "fedcba9876543210fedcba9876543210", Now, null, Cbc).Status);
    }

    [Fact]
    public void Cbc_tokens_of_every_padding_length_verify()
    {
        // User ids of 1..32 characters move the plaintext length through all 16 padding values.
        for (int length = 1; length <= 32; length++)
        {
            string user = new('u', length);
            string token = LegacyCbcToken.Make(42, user, Secret, Now.ToUnixTimeSeconds() + 600);
            Assert.Equal(Token04Status.Valid, Token04.Verify(token, 42, user, Secret, Now, null, Cbc).Status);
        }
    }

    [Fact]
    public void Cbc_padding_valid_and_padding_invalid_forgeries_get_the_same_status_and_reason()
    {
        // What a padding-oracle attacker sends: the block before the last replaced so that the last plaintext block ends
        // in valid padding, or not. Verify must not tell the two apart (not even in the logged reason).
        string token = LegacyCbcToken.Make(42, "alice", Secret, Now.ToUnixTimeSeconds() + 600);
        var reasons = new HashSet<string>();
        var rng = new Random(7);
        int valid = 0;
        for (int i = 0; i < 200; i++)
        {
            bool wantValid = i % 2 == 0;
            var (forged, paddingValid) = CbcForgery.Make(token, Secret, wantValid, rng);
            Assert.Equal(wantValid, paddingValid);
            if (paddingValid) valid++;
            var check = Token04.Verify(forged, 42, "alice", Secret, Now, null, Cbc);
            Assert.Equal(Token04Status.Invalid, check.Status);
            reasons.Add(check.Reason);
        }
        Assert.Equal(100, valid);
        Assert.Single(reasons);
    }

    [Fact]
    public void Lifetime_cap_future_issue_time_and_outer_expiry_are_enforced()
    {
        var capped = new Token04Policy { MaxLifetime = TimeSpan.FromSeconds(600), ClockSkew = TimeSpan.FromSeconds(60) };
        Assert.Equal(Token04Status.Valid, Token04.Verify(Token04.Generate(42, "alice", Secret, 600, now: Now), 42, "alice", Secret, Now, null, capped).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(Token04.Generate(42, "alice", Secret, 601, now: Now), 42, "alice", Secret, Now, null, capped).Status);
        // issued in the future: within the skew is fine, beyond it is not
        Assert.Equal(Token04Status.Valid, Token04.Verify(Token04.Generate(42, "alice", Secret, 60, now: Now.AddSeconds(60)), 42, "alice", Secret, Now, null, capped).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(Token04.Generate(42, "alice", Secret, 60, now: Now.AddSeconds(61)), 42, "alice", Secret, Now, null, capped).Status);
        // the plain expiry must match the encrypted one
        string token = Token04.Generate(42, "alice", Secret, 600, now: Now);
        byte[] record = Convert.FromBase64String(token[2..]);
        BinaryPrimitives.WriteInt64BigEndian(record, Now.ToUnixTimeSeconds() + 9999);
        var check = Token04.Verify("04" + Convert.ToBase64String(record), 42, "alice", Secret, Now);
        Assert.Equal(Token04Status.Invalid, check.Status);
    }

    [Fact]
    public void Expired_is_told_only_for_a_token_that_passes_every_other_check()
    {
        var later = Now.AddSeconds(601);
        var policy = new Token04Policy { MaxLifetime = TimeSpan.FromSeconds(600) };
        string token = Token04.Generate(42, "alice", Secret, 600, RoomPayload.Create("r1"), Now);
        Assert.Equal(Token04Status.Expired, Token04.Verify(token, 42, "alice", Secret, later, "r1", policy).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "bob", Secret, later, "r1", policy).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 43, "alice", Secret, later, "r1", policy).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", Secret, later, "r2", policy).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", "fedcba9876543210fedcba9876543210", later, "r1", policy).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(Token04.Generate(42, "alice", Secret, 601, null, Now), 42, "alice", Secret, Now.AddSeconds(700), null, policy).Status);
    }

    [Fact]
    public void Room_scoped_token_is_refused_where_the_policy_refuses_room_payloads()
    {
        var chat = new Token04Policy { RefuseRoomPayload = true };
        Assert.Equal(Token04Status.Invalid, Token04.Verify(Token04.Generate(42, "alice", Secret, 600, RoomPayload.Create("r1"), Now), 42, "alice", Secret, Now, null, chat).Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(Token04.Generate(42, "alice", Secret, 600, "not json", Now), 42, "alice", Secret, Now, null, chat).Status);
        Assert.Equal(Token04Status.Valid, Token04.Verify(Token04.Generate(42, "alice", Secret, 600, null, Now), 42, "alice", Secret, Now, null, chat).Status);
        Assert.Equal(Token04Status.Valid, Token04.Verify(Token04.Generate(42, "alice", Secret, 600, """{"room_id":"","privilege":{"1":1}}""", Now), 42, "alice", Secret, Now, null, chat).Status);
    }

    [Fact]
    public void Room_payload_restricts_the_room_and_the_login_privilege()
    {
        string token = Token04.Generate(42, "alice", Secret, 600, RoomPayload.Create("r1"), Now);
        Assert.Equal(Token04Status.Valid, Token04.Verify(token, 42, "alice", Secret, Now, "r1").Status);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(token, 42, "alice", Secret, Now, "r2").Status);
        string denied = Token04.Generate(42, "alice", Secret, 600, RoomPayload.Create("r1", canLogin: false), Now);
        Assert.Equal(Token04Status.Invalid, Token04.Verify(denied, 42, "alice", Secret, Now, "r1").Status);
        string any = Token04.Generate(42, "alice", Secret, 600, null, Now);
        Assert.Equal(Token04Status.Valid, Token04.Verify(any, 42, "alice", Secret, Now, "whatever").Status);
    }

    [Theory]
    [InlineData(0u, "alice", Secret, 600L, "AppId")]
    [InlineData(42u, "", Secret, 600L, "UserId")]
    [InlineData(42u, "alice", "short", 600L, "32 bytes")]
    [InlineData(42u, "alice", Secret, 0L, "lifetime")]
    [InlineData(42u, "alice", Secret, -5L, "lifetime")]
    public void Generator_refuses_bad_input_with_a_clear_message(uint appId, string userId, string secret, long lifetime, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Token04.Generate(appId, userId, secret, lifetime));
        Assert.Contains(expected, ex.Message);
    }
}

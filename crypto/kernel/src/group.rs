//! Points of the BN254/Grumpkin cycle and their strict 32-byte compressed encoding.
//!
//! Both curves are `y² = x³ + b` over a 254-bit prime field with cofactor 1, so every point on
//! the curve is in the prime-order group and an encoding needs no subgroup check.
//!
//! Encoding (arkworks' compressed layout, so arkworks can read what we write and vice versa):
//! 32 bytes, `x` as a little-endian integer in `[0, p)`; the two top bits of the last byte are
//! flags: bit 7 (`0x80`) set when `y` is the larger of the two square roots (`y > p − y`), bit 6
//! (`0x40`) set for the identity, which is encoded only as `x = 0` with bit 7 clear.
//! Decoding accepts exactly the encodings that encoding produces: every other string fails with
//! a reason saying which rule it broke.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ff::{BigInt, BigInteger, PrimeField};
use rayon::prelude::*;

/// Length of a compressed point.
pub const COMPRESSED_LEN: usize = 32;
/// Flag bit of the last byte: `y` is the larger root.
const Y_IS_LARGER: u8 = 0x80;
/// Flag bit of the last byte: the point is the identity.
const IDENTITY: u8 = 0x40;

/// A curve of the cycle: short Weierstrass, 4-limb fields, cofactor 1, and a name that
/// domain-separates its derived generators.
pub trait CycleCurve: SWCurveConfig<BaseField = Self::Base, ScalarField = Self::Scalar> {
    type Base: PrimeField<BigInt = BigInt<4>>;
    type Scalar: PrimeField<BigInt = BigInt<4>>;
    /// Name used in hash-to-curve input and error messages.
    const NAME: &'static str;
}

impl CycleCurve for ark_bn254::g1::Config {
    type Base = ark_bn254::Fq;
    type Scalar = ark_bn254::Fr;
    const NAME: &'static str = "BN254-G1";
}

impl CycleCurve for ark_grumpkin::GrumpkinConfig {
    type Base = ark_grumpkin::Fq;
    type Scalar = ark_grumpkin::Fr;
    const NAME: &'static str = "Grumpkin";
}

/// Why 32 bytes are not a point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input is not a whole number of 32-byte encodings.
    WrongLength(String),
    /// Flags or coordinate that no point encodes to.
    NonCanonical(String),
    /// A canonical `x` with no point above it.
    NotOnCurve(String),
}

/// The compressed encoding of `point`.
pub fn to_compressed<P: CycleCurve>(point: &Affine<P>) -> [u8; COMPRESSED_LEN] {
    let mut out = [0u8; COMPRESSED_LEN];
    if point.infinity {
        out[COMPRESSED_LEN - 1] = IDENTITY;
        return out;
    }
    out.copy_from_slice(&point.x.into_bigint().to_bytes_le());
    if point.y > -point.y {
        out[COMPRESSED_LEN - 1] |= Y_IS_LARGER;
    }
    out
}

/// The point whose compressed encoding is `bytes`, rejecting every other string.
pub fn from_compressed<P: CycleCurve>(bytes: &[u8]) -> Result<Affine<P>, DecodeError> {
    if bytes.len() != COMPRESSED_LEN {
        return Err(DecodeError::WrongLength(format!(
            "a {} point is {COMPRESSED_LEN} bytes, got {}",
            P::NAME,
            bytes.len()
        )));
    }
    let flags = bytes[COMPRESSED_LEN - 1] & (Y_IS_LARGER | IDENTITY);
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
    }
    limbs[3] &= !(u64::from(Y_IS_LARGER | IDENTITY) << 56);
    let x = BigInt::new(limbs);
    if flags & IDENTITY != 0 {
        if flags & Y_IS_LARGER != 0 {
            return Err(DecodeError::NonCanonical(format!(
                "{} identity encoding has the sign flag set",
                P::NAME
            )));
        }
        if !x.is_zero() {
            return Err(DecodeError::NonCanonical(format!(
                "{} identity encoding has a nonzero x",
                P::NAME
            )));
        }
        return Ok(Affine::identity());
    }
    let x = P::Base::from_bigint(x).ok_or_else(|| {
        DecodeError::NonCanonical(format!(
            "{} x-coordinate is not below the field modulus",
            P::NAME
        ))
    })?;
    let (smaller, larger) = Affine::<P>::get_ys_from_x_unchecked(x).ok_or_else(|| {
        DecodeError::NotOnCurve(format!("no {} point has this x-coordinate", P::NAME))
    })?;
    let y = if flags & Y_IS_LARGER != 0 {
        larger
    } else {
        smaller
    };
    Ok(Affine::new_unchecked(x, y))
}

/// Concatenated compressed encodings of `points`.
pub fn vec_to_compressed<P: CycleCurve>(points: &[Affine<P>]) -> Vec<u8> {
    let mut out = vec![0u8; points.len() * COMPRESSED_LEN];
    out.par_chunks_exact_mut(COMPRESSED_LEN)
        .zip(points.par_iter())
        .for_each(|(slot, point)| slot.copy_from_slice(&to_compressed(point)));
    out
}

/// Points from concatenated compressed encodings; the first bad one names its index.
pub fn vec_from_compressed<P: CycleCurve>(bytes: &[u8]) -> Result<Vec<Affine<P>>, DecodeError> {
    if !bytes.len().is_multiple_of(COMPRESSED_LEN) {
        return Err(DecodeError::WrongLength(format!(
            "a {} point vector is a multiple of {COMPRESSED_LEN} bytes, got {}",
            P::NAME,
            bytes.len()
        )));
    }
    let decoded: Vec<Result<Affine<P>, DecodeError>> = bytes
        .par_chunks_exact(COMPRESSED_LEN)
        .map(from_compressed::<P>)
        .collect();
    decoded
        .into_iter()
        .enumerate()
        .map(|(index, point)| point.map_err(|err| err.at_index(index)))
        .collect()
}

impl DecodeError {
    fn at_index(self, index: usize) -> Self {
        match self {
            Self::WrongLength(m) => Self::WrongLength(format!("point {index}: {m}")),
            Self::NonCanonical(m) => Self::NonCanonical(format!("point {index}: {m}")),
            Self::NotOnCurve(m) => Self::NotOnCurve(format!("point {index}: {m}")),
        }
    }
}

/// Affine forms of `points` with one shared field inversion.
pub fn normalize_batch<P: CycleCurve>(points: &[Projective<P>]) -> Vec<Affine<P>> {
    use ark_ec::CurveGroup;
    Projective::<P>::normalize_batch(points)
}

/// `point · k` for a little-endian integer `k` of any length, reduced modulo the group order.
pub fn mul_le_bytes<P: CycleCurve>(point: &Projective<P>, k: &[u8]) -> Projective<P> {
    *point * P::Scalar::from_le_bytes_mod_order(k)
}

/// Whether `x³ + b` has a square root, i.e. `x` is the abscissa of a point (used by tests).
#[cfg(test)]
fn has_point<P: CycleCurve>(x: P::Base) -> bool {
    use ark_ff::Field;
    (x.square() * x + P::COEFF_B).legendre().is_qr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{AdditiveGroup, CurveGroup, PrimeGroup};
    use ark_ff::Zero;
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    use ark_std::UniformRand;

    fn arkworks_bytes<P: CycleCurve>(point: &Affine<P>) -> Vec<u8> {
        let mut out = Vec::new();
        point.serialize_compressed(&mut out).unwrap();
        out
    }

    fn matches_arkworks<P: CycleCurve>() {
        let mut rng = ark_std::test_rng();
        let mut points = vec![
            Affine::<P>::identity(),
            Projective::<P>::generator().into_affine(),
        ];
        points.extend((0..64).map(|_| Projective::<P>::rand(&mut rng).into_affine()));
        for point in points {
            let ours = to_compressed(&point);
            assert_eq!(ours.to_vec(), arkworks_bytes(&point));
            assert_eq!(from_compressed::<P>(&ours), Ok(point));
            assert_eq!(
                Affine::<P>::deserialize_compressed(&ours[..]).unwrap(),
                point
            );
            let neg = -point;
            assert_eq!(from_compressed::<P>(&to_compressed(&neg)), Ok(neg));
        }
    }

    #[test]
    fn encoding_matches_arkworks() {
        matches_arkworks::<ark_bn254::g1::Config>();
        matches_arkworks::<ark_grumpkin::GrumpkinConfig>();
    }

    fn rejects_malformed<P: CycleCurve>() {
        let mut identity = [0u8; 32];
        identity[31] = IDENTITY;
        assert!(matches!(
            from_compressed::<P>(&identity[..31]),
            Err(DecodeError::WrongLength(_))
        ));
        let mut signed = identity;
        signed[31] |= Y_IS_LARGER;
        assert!(matches!(
            from_compressed::<P>(&signed),
            Err(DecodeError::NonCanonical(_))
        ));
        let mut nonzero_x = identity;
        nonzero_x[0] = 1;
        assert!(matches!(
            from_compressed::<P>(&nonzero_x),
            Err(DecodeError::NonCanonical(_))
        ));
        let modulus = P::Base::MODULUS.to_bytes_le();
        assert!(matches!(
            from_compressed::<P>(&modulus),
            Err(DecodeError::NonCanonical(_))
        ));
        let off_curve = (0u64..)
            .map(P::Base::from)
            .find(|x| !has_point::<P>(*x))
            .unwrap();
        let bytes = off_curve.into_bigint().to_bytes_le();
        assert!(matches!(
            from_compressed::<P>(&bytes),
            Err(DecodeError::NotOnCurve(_))
        ));
        let mut batch = to_compressed(&Projective::<P>::generator().into_affine()).to_vec();
        batch.extend_from_slice(&bytes);
        match vec_from_compressed::<P>(&batch) {
            Err(DecodeError::NotOnCurve(message)) => assert!(message.starts_with("point 1:")),
            other => panic!("expected NotOnCurve, got {other:?}"),
        }
    }

    #[test]
    fn malformed_encodings_fail_with_their_reason() {
        rejects_malformed::<ark_bn254::g1::Config>();
        rejects_malformed::<ark_grumpkin::GrumpkinConfig>();
    }

    #[test]
    fn cofactor_is_one() {
        assert_eq!(
            <ark_bn254::g1::Config as ark_ec::CurveConfig>::COFACTOR,
            &[1]
        );
        assert_eq!(
            <ark_grumpkin::GrumpkinConfig as ark_ec::CurveConfig>::COFACTOR,
            &[1]
        );
    }

    #[test]
    fn scalar_multiplication_reduces_modulo_the_order() {
        type P = ark_bn254::g1::Config;
        let g = Projective::<P>::generator();
        let order = ark_bn254::Fr::MODULUS.to_bytes_le();
        assert!(mul_le_bytes(&g, &order).is_zero());
        let mut order_plus_two = order.clone();
        order_plus_two.extend_from_slice(&[0; 8]);
        order_plus_two[0] += 2;
        assert_eq!(mul_le_bytes(&g, &order_plus_two), g.double());
    }
}

(* CdslTypes: the types and values of the CDSL core, deeply embedded.

   Mirrors compiler/src/typeck/types.rs (types) and runtime/src/value.rs
   (values of the value semantics). Written in ASCII syntax throughout, so
   that the text is what Isabelle reads on any platform. *)

theory CdslTypes
  imports Main "HOL-Library.Word"
begin

section \<open>Types\<close>

text \<open>Primitive types: words of 8 to 64 bits, booleans and strings.\<close>

datatype prim = PU8 | PU16 | PU32 | PU64 | PBool | PString

primrec prim_bits :: "prim => nat" where
  "prim_bits PU8 = 8"
| "prim_bits PU16 = 16"
| "prim_bits PU32 = 32"
| "prim_bits PU64 = 64"
| "prim_bits PBool = 1"
| "prim_bits PString = 0"

definition is_word :: "prim => bool" where
  "is_word p = (p ~= PBool & p ~= PString)"

text \<open>
  A record field carries its type and whether it is taken; a record is
  boxed or not. Alternatives of a variant are sorted by tag. \<open>!\<close> views
  only change permissions and are not part of the value-level type.
\<close>

datatype ty =
    TPrim prim
  | TUnit
  | TTuple "ty list"
  | TRecord "(string * ty * bool) list" bool
  | TVariant "(string * ty) list"
  | TAbstract string "ty list"
  | TFun ty ty

section \<open>Values of the value semantics\<close>

text \<open>
  A word is its width and its value (below \<open>2 ^ width\<close>). Boxed and
  unboxed records are both \<open>VRecord\<close>; a taken field is \<open>None\<close>.
  Functions and abstract values other than word arrays and the system
  state are opaque to the deep embedding.
\<close>

datatype vval =
    VWord nat nat
  | VBool bool
  | VString string
  | VUnit
  | VTuple "vval list"
  | VRecord "(string * vval option) list"
  | VVariant string vval
  | VArray "vval list"
  | VSys
  | VOpaque

text \<open>Which values have which type.\<close>

inductive vval_typing :: "vval => ty => bool"
  and vval_typing_list :: "vval list => ty list => bool"
  and vval_typing_fields :: "(string * vval option) list => (string * ty * bool) list => bool"
where
  typing_word: "is_word p ==> x < 2 ^ prim_bits p ==> vval_typing (VWord (prim_bits p) x) (TPrim p)"
| typing_bool: "vval_typing (VBool b) (TPrim PBool)"
| typing_string: "vval_typing (VString s) (TPrim PString)"
| typing_unit: "vval_typing VUnit TUnit"
| typing_tuple: "vval_typing_list vs ts ==> vval_typing (VTuple vs) (TTuple ts)"
| typing_record: "vval_typing_fields fs ts ==> vval_typing (VRecord fs) (TRecord ts b)"
| typing_variant: "(tag, t) : set alts ==> vval_typing v t ==> vval_typing (VVariant tag v) (TVariant alts)"
| typing_array: "(!!v. v : set vs ==> vval_typing v t) ==>
    vval_typing (VArray vs) (TAbstract ''WordArray'' [t])"
| typing_sys: "vval_typing VSys (TAbstract ''SysState'' [])"
| typing_opaque: "vval_typing VOpaque (TFun a b)"
| typing_abstract: "name ~= ''WordArray'' ==> name ~= ''SysState'' ==> vval_typing VOpaque (TAbstract name ts)"
| typing_nil: "vval_typing_list [] []"
| typing_cons: "vval_typing v t ==> vval_typing_list vs ts ==> vval_typing_list (v # vs) (t # ts)"
| fields_nil: "vval_typing_fields [] []"
| fields_present: "vval_typing v t ==> vval_typing_fields fs ts ==>
    vval_typing_fields ((f, Some v) # fs) ((f, t, False) # ts)"
| fields_taken: "vval_typing_fields fs ts ==> vval_typing_fields ((f, None) # fs) ((f, t, True) # ts)"

lemma typing_u32: "vval_typing (VWord 32 x) (TPrim PU32) = (x < 2 ^ 32)"
proof (rule iffI)
  assume "vval_typing (VWord 32 x) (TPrim PU32)"
  then show "x < 2 ^ 32"
    by (cases rule: vval_typing.cases) auto
next
  assume x: "x < 2 ^ 32"
  have "vval_typing (VWord (prim_bits PU32) x) (TPrim PU32)"
    by (rule typing_word) (simp_all add: is_word_def x)
  then show "vval_typing (VWord 32 x) (TPrim PU32)"
    by simp
qed

end

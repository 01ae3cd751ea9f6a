// Built-in reference lists that give the synthetic marketplace a Brazilian shape: the 27
// federative units with their region and a weight close to their share of e-commerce orders,
// real cities with an approximate 5-digit CEP prefix, common names, a two-level catalogue in
// Portuguese with plausible BRL price and weight ranges, payment types and shipping modes.
// Kept in code (not read from ../shared/datasets) so the seed runs on a fresh clone, offline.

export type Regiao = 'Norte' | 'Nordeste' | 'Centro-Oeste' | 'Sudeste' | 'Sul';

export interface Cidade {
  readonly nome: string;
  /** first CEP prefix of the city (5 digits); the seed adds a small offset */
  readonly cep: number;
  /** relative size inside its UF */
  readonly peso: number;
}

export interface Uf {
  readonly sigla: string;
  readonly regiao: Regiao;
  /** share of orders, roughly as in Brazilian marketplace data (SP first) */
  readonly peso: number;
  readonly cidades: readonly Cidade[];
}

const c = (nome: string, cep: number, peso: number): Cidade => ({ nome, cep, peso });

export const UFS: readonly Uf[] = [
  {
    sigla: 'SP',
    regiao: 'Sudeste',
    peso: 41.9,
    cidades: [
      c('São Paulo', 1000, 40),
      c('Campinas', 13000, 8),
      c('Guarulhos', 7000, 6),
      c('Santo André', 9000, 4),
      c('São José dos Campos', 12200, 4),
      c('Ribeirão Preto', 14000, 4),
      c('Sorocaba', 18000, 3),
      c('Santos', 11000, 3),
    ],
  },
  {
    sigla: 'RJ',
    regiao: 'Sudeste',
    peso: 12.9,
    cidades: [
      c('Rio de Janeiro', 20000, 40),
      c('Niterói', 24000, 8),
      c('Nova Iguaçu', 26000, 5),
      c('Duque de Caxias', 25000, 5),
      c('Petrópolis', 25600, 3),
      c('Campos dos Goytacazes', 28000, 2),
    ],
  },
  {
    sigla: 'MG',
    regiao: 'Sudeste',
    peso: 11.7,
    cidades: [
      c('Belo Horizonte', 30000, 30),
      c('Uberlândia', 38400, 8),
      c('Contagem', 32000, 6),
      c('Juiz de Fora', 36000, 6),
      c('Montes Claros', 39400, 3),
      c('Ipatinga', 35160, 2),
    ],
  },
  {
    sigla: 'RS',
    regiao: 'Sul',
    peso: 5.5,
    cidades: [c('Porto Alegre', 90000, 30), c('Caxias do Sul', 95000, 8), c('Pelotas', 96000, 5), c('Canoas', 92000, 5), c('Santa Maria', 97000, 4)],
  },
  {
    sigla: 'PR',
    regiao: 'Sul',
    peso: 5.1,
    cidades: [
      c('Curitiba', 80000, 30),
      c('Londrina', 86000, 8),
      c('Maringá', 87000, 7),
      c('Ponta Grossa', 84000, 4),
      c('Cascavel', 85800, 3),
      c('Foz do Iguaçu', 85850, 2),
    ],
  },
  {
    sigla: 'SC',
    regiao: 'Sul',
    peso: 3.7,
    cidades: [c('Florianópolis', 88000, 20), c('Joinville', 89200, 15), c('Blumenau', 89000, 10), c('Chapecó', 89800, 4), c('Itajaí', 88300, 4)],
  },
  {
    sigla: 'BA',
    regiao: 'Nordeste',
    peso: 3.4,
    cidades: [c('Salvador', 40000, 35), c('Feira de Santana', 44000, 8), c('Vitória da Conquista', 45000, 4), c('Ilhéus', 45650, 2)],
  },
  { sigla: 'DF', regiao: 'Centro-Oeste', peso: 2.1, cidades: [c('Brasília', 70000, 40), c('Taguatinga', 72000, 8), c('Ceilândia', 72200, 6)] },
  {
    sigla: 'GO',
    regiao: 'Centro-Oeste',
    peso: 2.0,
    cidades: [c('Goiânia', 74000, 30), c('Aparecida de Goiânia', 74900, 8), c('Anápolis', 75000, 6), c('Rio Verde', 75900, 2)],
  },
  { sigla: 'ES', regiao: 'Sudeste', peso: 2.0, cidades: [c('Vitória', 29000, 15), c('Vila Velha', 29100, 12), c('Serra', 29160, 8), c('Cariacica', 29140, 6)] },
  {
    sigla: 'PE',
    regiao: 'Nordeste',
    peso: 1.7,
    cidades: [c('Recife', 50000, 30), c('Jaboatão dos Guararapes', 54000, 8), c('Olinda', 53000, 6), c('Caruaru', 55000, 4), c('Petrolina', 56300, 3)],
  },
  {
    sigla: 'CE',
    regiao: 'Nordeste',
    peso: 1.3,
    cidades: [c('Fortaleza', 60000, 35), c('Caucaia', 61600, 5), c('Juazeiro do Norte', 63000, 4), c('Sobral', 62000, 3)],
  },
  { sigla: 'PA', regiao: 'Norte', peso: 1.0, cidades: [c('Belém', 66000, 30), c('Ananindeua', 67000, 8), c('Santarém', 68000, 4), c('Marabá', 68500, 3)] },
  {
    sigla: 'MT',
    regiao: 'Centro-Oeste',
    peso: 0.9,
    cidades: [c('Cuiabá', 78000, 25), c('Várzea Grande', 78100, 8), c('Rondonópolis', 78700, 5), c('Sinop', 78550, 3)],
  },
  { sigla: 'MA', regiao: 'Nordeste', peso: 0.75, cidades: [c('São Luís', 65000, 30), c('Imperatriz', 65900, 6), c('Caxias', 65600, 2)] },
  { sigla: 'MS', regiao: 'Centro-Oeste', peso: 0.72, cidades: [c('Campo Grande', 79000, 30), c('Dourados', 79800, 6), c('Três Lagoas', 79600, 3)] },
  { sigla: 'PB', regiao: 'Nordeste', peso: 0.54, cidades: [c('João Pessoa', 58000, 25), c('Campina Grande', 58400, 10)] },
  { sigla: 'PI', regiao: 'Nordeste', peso: 0.5, cidades: [c('Teresina', 64000, 30), c('Parnaíba', 64200, 4)] },
  { sigla: 'RN', regiao: 'Nordeste', peso: 0.49, cidades: [c('Natal', 59000, 30), c('Mossoró', 59600, 6), c('Parnamirim', 59140, 5)] },
  { sigla: 'AL', regiao: 'Nordeste', peso: 0.41, cidades: [c('Maceió', 57000, 30), c('Arapiraca', 57300, 5)] },
  { sigla: 'SE', regiao: 'Nordeste', peso: 0.35, cidades: [c('Aracaju', 49000, 30), c('Nossa Senhora do Socorro', 49160, 4)] },
  { sigla: 'TO', regiao: 'Norte', peso: 0.28, cidades: [c('Palmas', 77000, 20), c('Araguaína', 77800, 8)] },
  { sigla: 'RO', regiao: 'Norte', peso: 0.25, cidades: [c('Porto Velho', 76800, 20), c('Ji-Paraná', 76900, 6)] },
  { sigla: 'AM', regiao: 'Norte', peso: 0.15, cidades: [c('Manaus', 69000, 40), c('Parintins', 69150, 2)] },
  { sigla: 'AC', regiao: 'Norte', peso: 0.08, cidades: [c('Rio Branco', 69900, 20), c('Cruzeiro do Sul', 69980, 3)] },
  { sigla: 'AP', regiao: 'Norte', peso: 0.07, cidades: [c('Macapá', 68900, 20), c('Santana', 68925, 4)] },
  { sigla: 'RR', regiao: 'Norte', peso: 0.05, cidades: [c('Boa Vista', 69300, 20)] },
];

/** Every city with its UF, in a stable order; weight = UF share x size inside the UF. */
export interface Local {
  readonly cidade: string;
  readonly uf: string;
  readonly regiao: Regiao;
  readonly cep: number;
  readonly peso: number;
}

export const LOCAIS: readonly Local[] = UFS.flatMap((uf) => {
  const total = uf.cidades.reduce((s, x) => s + x.peso, 0);
  return uf.cidades.map((x) => ({ cidade: x.nome, uf: uf.sigla, regiao: uf.regiao, cep: x.cep, peso: (uf.peso * x.peso) / total }));
});

export const PRIMEIROS_NOMES: readonly string[] = [
  'Ana',
  'Maria',
  'Juliana',
  'Fernanda',
  'Camila',
  'Beatriz',
  'Larissa',
  'Patrícia',
  'Aline',
  'Gabriela',
  'Letícia',
  'Mariana',
  'Bruna',
  'Amanda',
  'Carolina',
  'Vanessa',
  'Luciana',
  'Renata',
  'Tatiane',
  'Isabela',
  'Helena',
  'Sofia',
  'Alice',
  'Laura',
  'José',
  'João',
  'Antônio',
  'Francisco',
  'Carlos',
  'Paulo',
  'Pedro',
  'Lucas',
  'Luiz',
  'Marcos',
  'Luís',
  'Gabriel',
  'Rafael',
  'Daniel',
  'Marcelo',
  'Bruno',
  'Eduardo',
  'Felipe',
  'Rodrigo',
  'Gustavo',
  'Thiago',
  'Leonardo',
  'Matheus',
  'Vinícius',
  'André',
  'Ricardo',
  'Diego',
  'Fábio',
  'Sérgio',
  'Miguel',
  'Arthur',
  'Heitor',
  'Davi',
  'Bernardo',
  'Samuel',
  'Enzo',
];

export const SOBRENOMES: readonly string[] = [
  'Silva',
  'Santos',
  'Oliveira',
  'Souza',
  'Rodrigues',
  'Ferreira',
  'Alves',
  'Pereira',
  'Lima',
  'Gomes',
  'Costa',
  'Ribeiro',
  'Martins',
  'Carvalho',
  'Almeida',
  'Lopes',
  'Soares',
  'Fernandes',
  'Vieira',
  'Barbosa',
  'Rocha',
  'Dias',
  'Nascimento',
  'Andrade',
  'Moreira',
  'Nunes',
  'Marques',
  'Machado',
  'Mendes',
  'Freitas',
  'Cardoso',
  'Ramos',
  'Gonçalves',
  'Santana',
  'Teixeira',
  'Araújo',
  'Cavalcanti',
  'Monteiro',
  'Moura',
  'Correia',
  'Pinto',
  'Batista',
  'Campos',
  'Borges',
  'Barros',
  'Farias',
  'Reis',
  'Castro',
];

/** Seller trade names are built as "<prefix> <surname>" or "<surname> <suffix>". */
export const PREFIXOS_LOJA: readonly string[] = ['Loja', 'Casa', 'Empório', 'Mundo', 'Espaço', 'Central', 'Mega', 'Atacadão', 'Bazar', 'Ponto'];
export const SUFIXOS_LOJA: readonly string[] = ['Comércio Ltda', 'Distribuidora', 'Magazine', 'Store', 'Variedades', 'Importados', 'Eletro', 'Utilidades'];

/** Customer segments with their share of customers. */
export const SEGMENTOS = ['Consumidor', 'Corporativo', 'Pequena empresa'] as const;
export const PESOS_SEGMENTO = [0.78, 0.08, 0.14] as const;

/** Invented brand names for product titles (no real trademarks). */
export const MARCAS: readonly string[] = [
  'Aurora',
  'Tupi',
  'Vértice',
  'Jacarandá',
  'Ipê',
  'Boreal',
  'Atlântica',
  'Cerrado',
  'Pampa',
  'Sertão',
  'Guará',
  'Capivara',
  'Maracá',
  'Araucária',
  'Jangada',
  'Pitanga',
  'Carnaúba',
  'Buriti',
  'Itaúna',
  'Juriti',
];

export interface Subcategoria {
  readonly codigo: string;
  readonly nome: string;
  /** singular noun used in product titles */
  readonly produto: string;
  /** list price range in whole BRL */
  readonly preco: readonly [number, number];
  /** shipping weight range in grams */
  readonly peso: readonly [number, number];
  /** relative popularity when picking a category for a new product */
  readonly popularidade: number;
}

export interface Categoria {
  readonly codigo: string;
  readonly nome: string;
  readonly filhas: readonly Subcategoria[];
}

const sub = (codigo: string, nome: string, produto: string, preco: [number, number], peso: [number, number], popularidade: number): Subcategoria => ({
  codigo,
  nome,
  produto,
  preco,
  peso,
  popularidade,
});

/** Two-level catalogue: products always reference a child (subcategoria). */
export const CATEGORIAS: readonly Categoria[] = [
  {
    codigo: 'informatica',
    nome: 'Informática',
    filhas: [
      sub('informatica.acessorios', 'Acessórios de Informática', 'Mouse sem fio', [30, 150], [80, 300], 6),
      sub('informatica.notebooks', 'Notebooks', 'Notebook', [2200, 6500], [1400, 2600], 2),
      sub('informatica.perifericos', 'Periféricos', 'Teclado mecânico', [120, 600], [500, 1400], 3),
      sub('informatica.armazenamento', 'Armazenamento', 'SSD', [250, 900], [50, 200], 2),
      sub('informatica.impressoras', 'Impressoras', 'Impressora multifuncional', [600, 2200], [4000, 9000], 1),
    ],
  },
  {
    codigo: 'telefonia',
    nome: 'Telefonia',
    filhas: [
      sub('telefonia.smartphones', 'Smartphones', 'Smartphone', [900, 5000], [300, 600], 3),
      sub('telefonia.capas', 'Capas e Películas', 'Capa protetora', [20, 90], [30, 120], 5),
      sub('telefonia.carregadores', 'Carregadores e Cabos', 'Carregador turbo', [40, 180], [80, 250], 4),
      sub('telefonia.fones', 'Fones de Ouvido', 'Fone de ouvido bluetooth', [60, 700], [100, 400], 4),
    ],
  },
  {
    codigo: 'eletrodomesticos',
    nome: 'Eletrodomésticos',
    filhas: [
      sub('eletrodomesticos.cozinha', 'Eletroportáteis de Cozinha', 'Liquidificador', [120, 450], [1800, 4000], 3),
      sub('eletrodomesticos.climatizacao', 'Climatização', 'Ventilador de coluna', [150, 600], [3500, 8000], 2),
      sub('eletrodomesticos.limpeza', 'Limpeza', 'Aspirador de pó', [250, 1200], [2500, 6000], 2),
      sub('eletrodomesticos.cafeteiras', 'Cafeteiras', 'Cafeteira elétrica', [120, 900], [1200, 4000], 2),
    ],
  },
  {
    codigo: 'cama_mesa_banho',
    nome: 'Cama, Mesa e Banho',
    filhas: [
      sub('cama_mesa_banho.lencois', 'Jogos de Lençol', 'Jogo de lençol queen', [90, 350], [800, 2000], 7),
      sub('cama_mesa_banho.toalhas', 'Toalhas', 'Jogo de toalhas', [60, 220], [600, 1800], 6),
      sub('cama_mesa_banho.travesseiros', 'Travesseiros', 'Travesseiro', [40, 180], [500, 1500], 5),
    ],
  },
  {
    codigo: 'moveis_decoracao',
    nome: 'Móveis e Decoração',
    filhas: [
      sub('moveis_decoracao.decoracao', 'Decoração', 'Quadro decorativo', [40, 300], [500, 3000], 6),
      sub('moveis_decoracao.iluminacao', 'Iluminação', 'Luminária de mesa', [60, 350], [600, 2500], 3),
      sub('moveis_decoracao.escritorio', 'Móveis de Escritório', 'Cadeira de escritório', [350, 1800], [9000, 18000], 2),
      sub('moveis_decoracao.organizacao', 'Organização', 'Organizador multiuso', [25, 150], [300, 1500], 4),
    ],
  },
  {
    codigo: 'beleza_saude',
    nome: 'Beleza e Saúde',
    filhas: [
      sub('beleza_saude.perfumaria', 'Perfumaria', 'Perfume', [80, 650], [200, 600], 5),
      sub('beleza_saude.cuidados_pele', 'Cuidados com a Pele', 'Hidratante facial', [30, 200], [100, 400], 5),
      sub('beleza_saude.cabelos', 'Cabelos', 'Secador de cabelo', [90, 500], [600, 1500], 3),
      sub('beleza_saude.suplementos', 'Suplementos', 'Whey protein', [90, 250], [900, 2200], 3),
    ],
  },
  {
    codigo: 'esporte_lazer',
    nome: 'Esporte e Lazer',
    filhas: [
      sub('esporte_lazer.fitness', 'Fitness', 'Kit de halteres', [80, 450], [2000, 10000], 4),
      sub('esporte_lazer.ciclismo', 'Ciclismo', 'Capacete de ciclismo', [120, 600], [300, 900], 2),
      sub('esporte_lazer.camping', 'Camping', 'Barraca para 2 pessoas', [180, 900], [1500, 5000], 2),
      sub('esporte_lazer.futebol', 'Futebol', 'Bola de futebol', [50, 300], [400, 800], 3),
    ],
  },
  {
    codigo: 'brinquedos',
    nome: 'Brinquedos',
    filhas: [
      sub('brinquedos.educativos', 'Educativos', 'Quebra-cabeça', [30, 150], [200, 900], 3),
      sub('brinquedos.bonecos', 'Bonecos e Figuras', 'Boneco articulado', [40, 250], [200, 800], 3),
      sub('brinquedos.tabuleiro', 'Jogos de Tabuleiro', 'Jogo de tabuleiro', [60, 300], [500, 1800], 2),
    ],
  },
  {
    codigo: 'moda_acessorios',
    nome: 'Moda e Acessórios',
    filhas: [
      sub('moda_acessorios.relogios', 'Relógios', 'Relógio analógico', [120, 900], [150, 500], 5),
      sub('moda_acessorios.bolsas', 'Bolsas e Mochilas', 'Mochila', [90, 450], [400, 1200], 4),
      sub('moda_acessorios.calcados', 'Calçados', 'Tênis de corrida', [150, 700], [700, 1400], 4),
      sub('moda_acessorios.oculos', 'Óculos', 'Óculos de sol', [80, 600], [100, 300], 2),
    ],
  },
  {
    codigo: 'livros_papelaria',
    nome: 'Livros e Papelaria',
    filhas: [
      sub('livros_papelaria.tecnicos', 'Livros Técnicos', 'Livro técnico', [60, 250], [400, 1200], 2),
      sub('livros_papelaria.literatura', 'Literatura', 'Romance', [30, 90], [250, 700], 3),
      sub('livros_papelaria.papelaria', 'Papelaria', 'Kit de canetas', [15, 80], [100, 400], 3),
    ],
  },
  {
    codigo: 'automotivo',
    nome: 'Automotivo',
    filhas: [
      sub('automotivo.acessorios', 'Acessórios Automotivos', 'Suporte veicular', [30, 150], [100, 400], 3),
      sub('automotivo.som', 'Som Automotivo', 'Central multimídia', [400, 1800], [1000, 2500], 1),
      sub('automotivo.ferramentas', 'Ferramentas Automotivas', 'Jogo de chaves', [70, 400], [800, 3500], 2),
    ],
  },
  {
    codigo: 'pet_shop',
    nome: 'Pet Shop',
    filhas: [
      sub('pet_shop.alimentos', 'Alimentos para Pets', 'Ração premium 15 kg', [120, 350], [15000, 15500], 3),
      sub('pet_shop.acessorios', 'Acessórios para Pets', 'Cama para cachorro', [60, 300], [600, 2500], 3),
    ],
  },
  {
    codigo: 'bebes',
    nome: 'Bebês',
    filhas: [
      sub('bebes.carrinhos', 'Carrinhos e Cadeirinhas', 'Carrinho de bebê', [400, 2500], [7000, 14000], 1),
      sub('bebes.higiene', 'Higiene do Bebê', 'Kit de banho infantil', [50, 200], [400, 1500], 3),
    ],
  },
  {
    codigo: 'ferramentas_jardim',
    nome: 'Ferramentas e Jardim',
    filhas: [
      sub('ferramentas_jardim.eletricas', 'Ferramentas Elétricas', 'Furadeira de impacto', [180, 800], [1500, 3500], 3),
      sub('ferramentas_jardim.jardinagem', 'Jardinagem', 'Mangueira de jardim', [60, 250], [1000, 3000], 2),
    ],
  },
];

/** Payment types (as in Brazilian marketplaces); only credit cards pay in instalments. */
export const TIPOS_PAGAMENTO = ['cartao_credito', 'boleto', 'pix', 'cartao_debito', 'voucher'] as const;
export type TipoPagamento = (typeof TIPOS_PAGAMENTO)[number];
/** Share of the main payment method of an order (voucher is added on top, see payments.ts). */
export const PESOS_PAGAMENTO_PRINCIPAL: Readonly<Record<Exclude<TipoPagamento, 'voucher'>, number>> = {
  cartao_credito: 0.68,
  boleto: 0.14,
  pix: 0.15,
  cartao_debito: 0.03,
};

export interface ModoEnvio {
  readonly nome: string;
  /** fixed freight per item in cents, and cents per kg */
  readonly base: number;
  readonly porKg: number;
  /** transit days before the regional extra */
  readonly dias: readonly [number, number];
  readonly peso: number;
}

export const MODOS_ENVIO: readonly ModoEnvio[] = [
  { nome: 'PAC', base: 1290, porKg: 190, dias: [4, 12], peso: 0.55 },
  { nome: 'SEDEX', base: 2190, porKg: 420, dias: [1, 4], peso: 0.25 },
  { nome: 'Transportadora', base: 1590, porKg: 150, dias: [3, 10], peso: 0.2 },
];

/** Extra transit days and a freight factor by destination region (the catalogue ships from the Southeast). */
export const FRETE_REGIAO: Readonly<Record<Regiao, { dias: number; fator: number }>> = {
  Sudeste: { dias: 0, fator: 1.0 },
  Sul: { dias: 1, fator: 1.15 },
  'Centro-Oeste': { dias: 2, fator: 1.3 },
  Nordeste: { dias: 4, fator: 1.5 },
  Norte: { dias: 6, fator: 1.8 },
};

/** Campaign themes by month (1-12), used for campaign names. */
export const TEMAS_CAMPANHA: Readonly<Record<number, readonly string[]>> = {
  1: ['Liquida Verão', 'Saldão de Janeiro'],
  2: ['Volta às Aulas', 'Carnaval de Ofertas'],
  3: ['Semana do Consumidor', 'Outono em Oferta'],
  4: ['Páscoa Premiada', 'Abril de Descontos'],
  5: ['Dia das Mães', 'Maio Premiado'],
  6: ['Dia dos Namorados', 'Arraiá de Ofertas'],
  7: ['Férias de Julho', 'Liquida Inverno'],
  8: ['Dia dos Pais', 'Agosto de Ofertas'],
  9: ['Semana do Cliente', 'Primavera de Descontos'],
  10: ['Dia das Crianças', 'Outubro Rosa'],
  11: ['Black Friday', 'Esquenta Black Friday'],
  12: ['Natal Premiado', 'Ofertas de Fim de Ano'],
};
